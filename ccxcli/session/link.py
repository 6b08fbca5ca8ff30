"""The node's transport to its SSM. `LabLink` delivers messages in-process to the SSM
folders of the lab (an HTTP transport implements the same methods without touching the
engine). Every message carries an id; the SSM answers an id it has seen before with the
answer it gave then, so a message sent again after a crash changes nothing twice."""

from __future__ import annotations

from ccxcli.core import transports
from ccxcli.errors import CommError, StoreError
from ccxcli.protocol import answers
from ccxcli.session import scratch
from ccxcli.store.lab import DEFAULT_SSM, LabStore
from ccxcli.urls import name_mismatch, split_url, url_host

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from ccxcli.core.state import NodeState, Outbox, Registered, ReportAnswer
    from ccxcli.protocol.remote import Remote
    from ccxcli.ssm.core.db import SsmDb


def ssm_of(lab: LabStore, name: str) -> SsmDb:
    """An SSM of the lab, opened once per lab opening (closed with it)."""
    opened = scratch.of(lab).ssms
    if name not in opened:
        from ccxcli.ssm.core.db import SsmDb  # sqlite3 and the SSM core: only for commands that reach an SSM

        opened[name] = SsmDb.open(lab.ssm_dir(name))
    return opened[name]


def message_id(node: NodeState, kind: str, t: int) -> str:
    """The id of an automatic message: the same instance, kind and time is the same message."""
    return f"{kind}:{node['reg'].get('instance')}:{t}"


def proxy_secret(salt: str, password: str) -> str:
    """How the lab keeps a proxy's password (`sim proxy add`): salted SHA-256, never the password."""
    import hashlib

    return hashlib.sha256(bytes.fromhex(salt) + password.encode("utf-8", "surrogateescape")).hexdigest()


def through_proxy(lab: LabStore, node: NodeState) -> None:
    """A node whose transport is `proxy` reaches the lab's cloud SSM through a proxy of the
    lab's network (`sim proxy add`): an unknown host, a port nothing listens on and missing
    or wrong credentials each fail as they do on a network (CommError, exit 4)."""
    import hmac

    tr = node["transport"]
    host, port = str(tr.get("host", "")), int(tr.get("port", 0))
    known = [p for p in lab.proxies() if p["host"].lower() == host.lower()]
    if not known:
        raise CommError(
            f"Communication with Cisco SSM failed: the proxy host '{host}' could not be resolved "
            "(no proxy of that name on this lab's network: 'sim proxy list')."
        )
    proxy = next((p for p in known if p["port"] == port), None)
    if proxy is None:
        listening = ", ".join(str(p["port"]) for p in known)
        raise CommError(
            f"Communication with Cisco SSM failed: connection refused by the proxy {host}:{port} "
            f"(it listens on port {listening})."
        )
    if "user" in proxy:
        where = f"Communication with Cisco SSM failed: the proxy {host}:{port} answered 407 Proxy Authentication "
        if "user" not in tr:
            raise CommError(
                where + "Required: it needs a user name and password (answer y to 'Do you want to "
                "enable Authentication based proxy ?' of 'license smart transport proxy')."
            )
        given = proxy_secret(proxy["salt"], str(tr.get("password", "")))
        if tr["user"] != proxy["user"] or not hmac.compare_digest(given, proxy["hash"]):
            raise CommError(where + "Required: the user name or the password is wrong.")


def _fault(node: NodeState) -> None:
    from ccxcli.core.failures import ssm_failure

    problem = ssm_failure(node)
    if problem:
        raise CommError(problem)


class LabLink:
    """Delivers a node's messages: in-process to an SSM of the lab, or over HTTPS to a
    served SSM (`ccxcli.protocol.remote`) when the transport URL names no SSM of the lab. Both go
    through one operation table (`ccxcli.ssm.core.device`)."""

    def __init__(self, lab: LabStore) -> None:
        self.lab = lab
        self._remotes: dict[str, Remote] = {}
        self._versions: dict[str, int | None] = {}  # served SSMs' pool versions read by this link
        self._trusted: set[str] = set()  # SSMs of the lab whose key was checked by this link
        self._present: set[str] = set()  # SSMs of the lab this link found and opened

    def close(self) -> None:
        for remote in self._remotes.values():
            remote.close()
        self._remotes.clear()

    # -- which SSM ------------------------------------------------------------------
    def target(self, node: NodeState) -> str:
        """Where the node's transport reaches: an SSM of the lab by name, or the URL of a
        served SSM; CommError if none answers."""
        if not node["network"]:
            raise CommError("Communication with Cisco SSM failed: the network is down ('sim network up' restores it).")
        _fault(node)
        tr = node["transport"]
        if transports.reaches_cisco(tr):
            self._check_root(node)
            cisco = self.lab.cisco_url()
            if cisco:  # Cisco SSM is a served SSM (`sim ssm cisco`): reached over the network
                return cisco
            if tr["mode"] == "proxy":
                through_proxy(self.lab, node)
            if not (self.lab.ssm_dir(DEFAULT_SSM) / "ssm.db").exists():
                raise CommError("Communication with Cisco SSM failed: the cloud SSM of this lab does not exist.")
            return DEFAULT_SSM
        host = url_host(tr["url"], tr["mode"])
        for name in self._on_prem():
            ssm = ssm_of(self.lab, name)
            if host in (h.lower() for h in ssm.names()):
                return name
            if host in ssm.resolves():  # it answers at that name or address, but its certificate is not for it
                raise CommError(name_mismatch(host, ssm.names()))
        return str(tr["url"])  # not an SSM of this lab: over the network

    def _check_root(self, node: NodeState) -> None:
        """Cisco's servers present a certificate chained to the lab's Cisco root CA (`sim lab
        cisco-root-ca`): a node that does not trust it cannot send anything (TLS fails)."""
        why = transports.untrusted_root(node.get("trust_roots"), self.lab.data.get("cisco_root", transports.CISCO_ROOT))
        if why is not None:
            raise CommError(f"Communication with Cisco SSM failed: {transports.failed_line(node['transport'])}: {why}.")

    def _on_prem(self) -> list[str]:
        return [n for n in self.lab.ssm_names() if ssm_of(self.lab, n).on_prem]

    def _registered(self, node: NodeState) -> str:
        if not node["network"]:
            raise CommError("Communication with Cisco SSM failed: the network is down.")
        _fault(node)
        name = node["reg"].get("ssm") or DEFAULT_SSM
        if transports.reaches_cisco(node["transport"]) and (name == DEFAULT_SSM or name == self.lab.cisco_url()):
            self._check_root(node)
        if is_remote(name):
            return str(name)
        if name == DEFAULT_SSM and node["transport"]["mode"] == "proxy":
            through_proxy(self.lab, node)
        if name in self._present:  # found before by this link (a command): it is still there
            return str(name)
        if not (self.lab.ssm_dir(name) / "ssm.db").exists():
            raise CommError(f"Communication with SSM '{name}' failed: it no longer exists in this lab.")
        try:
            ssm_of(self.lab, name)
        except StoreError as e:  # an SSM that cannot open its database does not answer
            raise CommError(f"Communication with SSM '{name}' failed: {e.message}") from None
        self._present.add(name)
        return str(name)

    def _call(self, where: str, op: str, node: NodeState | None = None, **args: object) -> object:
        if not is_remote(where):
            from ccxcli.ssm.core.device import Maintenance, handle

            ssm = ssm_of(self.lab, where)
            self._check_trust(ssm)
            try:
                return handle(ssm, op, args)
            except Maintenance as e:  # what a served SSM answers with HTTP 503
                raise CommError(f"Communication with Cisco SSM failed: {e.message}") from None
        proxy = _proxy_of(node)
        key = where + (f"|{proxy[0]}:{proxy[1]}" if proxy else "")
        remote = self._remotes.get(key)
        if remote is None:
            from ccxcli.protocol.remote import Remote

            host, port, path = split_url(where)
            names = "; ".join(
                f"{n}: {', '.join(ssm_of(self.lab, n).names())} at {ssm_of(self.lab, n).address}"
                for n in self._on_prem()
            )
            hint = f" It is not an SSM of this lab either ({names or 'this lab has no SSM On-Prem'})."
            remote = self._remotes[key] = Remote(host, port or 443, path, self.lab.trusted_keys(), hint, proxy)
        if node is not None and "proof" in node and op != "register":
            from ccxcli.protocol.proof import message_mac

            args["mac"] = message_mac(node["proof"], op, args)  # the node proves it sent this message
        try:
            return remote.call(op, args)
        finally:
            if op in ("report", "report_batch", "register", "deregister"):
                self._versions.pop(where + str(args.get("uuid", "")), None)

    def _check_trust(self, ssm: SsmDb) -> None:
        """An SSM of the lab that changed its key (`ccx-ssm key roll`) is trusted only once its
        new key is added (`sim ssm trust`): until then it fails as TLS with an untrusted
        certificate does. (An SSM that never changed its key is trusted by being in the lab.)"""
        if ssm.name in self._trusted:
            return
        if not (ssm.path / "root.pem").exists():
            self._trusted.add(ssm.name)
            return
        current = ssm.public_pem()
        trusted = self.lab.trusted_keys()
        if current not in trusted:
            from ccxcli.protocol.codes import canonical_public_pem  # cryptography: only for an SSM that rolled

            if canonical_public_pem(current) not in {canonical_public_pem(k) for k in trusted}:
                raise CommError(
                    f"Communication with SSM '{ssm.name}' failed: its certificate is signed by a key this node does "
                    "not trust (the SSM changed its key: 'ccx-ssm key export', then 'sim ssm trust FILE')."
                )
        self._trusted.add(ssm.name)

    def pool_versions(self) -> dict[tuple[str, str], int]:
        """The pool version of every virtual account of every SSM of the lab that opens."""
        out: dict[tuple[str, str], int] = {}
        for name in self.lab.ssm_names():
            try:
                versions = ssm_of(self.lab, name).versions()
            except StoreError:
                continue
            out.update(((name, va), v) for va, v in versions.items())
        return out

    def uuids_in(self, where: str, vas: list[str]) -> list[str]:
        """The nodes registered in these virtual accounts of an SSM of the lab."""
        return ssm_of(self.lab, where).uuids_in(vas)

    # -- messages ---------------------------------------------------------------------
    def register(self, node: NodeState, msg: Outbox) -> Registered:
        where = self.target(node)
        hello = {
            "uuid": node["uuid"],
            "sn": node["sn"],
            "license_type": node["license_type"],
            "hostname": node["hostname"] if node["send_hostname"] else "",
        }
        extra = {"proof": msg["proof"]} if "proof" in msg else {}
        answer = self._call(
            where,
            "register",
            node,
            token=msg["token"],
            hello=hello,
            now=msg["t"],
            force=msg["force"],
            msg_id=msg["id"],
            **extra,
        )
        info = answers.registered(answer, where)
        info["ssm"] = where
        return info

    def renew(self, node: NodeState, now: int, what: str, msg_id: str | None = None) -> None:
        self._call(
            self._registered(node),
            "contact",
            node,
            uuid=node["uuid"],
            now=now,
            what=what,
            msg_id=msg_id or message_id(node, what, now),
        )

    def report(self, node: NodeState, use: dict[str, int], now: int) -> ReportAnswer | None:
        """The SSM's judgement, or None when it could not be reached (InstanceGone passes)."""
        try:
            where = self._registered(node)
            answer = self._call(
                where, "report", node, uuid=node["uuid"], use=use, now=now, msg_id=message_id(node, "report", now)
            )
            return answers.reported(answer, where)
        except CommError:
            return None

    def report_batch(self, node: NodeState, use: dict[str, int], first: int, last: int) -> ReportAnswer | None:
        """The reports due from `first` to `last`, each the same `use`, as one message; None
        when the SSM could not be reached (InstanceGone passes)."""
        try:
            where = self._registered(node)
            answer = self._call(
                where,
                "report_batch",
                node,
                uuid=node["uuid"],
                use=use,
                first=first,
                last=last,
                msg_id=message_id(node, "steady", last),
            )
            return answers.reported(answer, where)
        except CommError:
            return None

    def deregister(self, node: NodeState, now: int, msg_id: str) -> None:
        self._call(self._registered(node), "deregister", node, uuid=node["uuid"], now=now, msg_id=msg_id)

    def pool_version(self, node: NodeState) -> int | None:
        """The version of the node's pool; a served SSM is asked once per link and again
        after each message that can change it."""
        if not node["network"]:
            return None
        try:
            where = self._registered(node)
            key = where + node["uuid"]
            if not is_remote(where):
                return answers.version(self._call(where, "pool_version", node, uuid=node["uuid"]), where)
            if key not in self._versions:
                self._versions[key] = answers.version(self._call(where, "pool_version", node, uuid=node["uuid"]), where)
            return self._versions[key]
        except CommError:
            return None


def _proxy_of(node: NodeState | None) -> tuple[str, int, str | None, str | None] | None:
    """The HTTP proxy a node's messages to a served SSM go through: its transport's, when it
    is `proxy` (host, port, user, password)."""
    if node is None or node["transport"]["mode"] != "proxy":
        return None
    tr = node["transport"]
    return str(tr.get("host")), int(tr.get("port", 0)), tr.get("user"), tr.get("password")


def is_remote(where: str) -> bool:
    """A node's SSM is either an SSM of its lab (a name) or a served SSM (its URL)."""
    return where.startswith("https://")
