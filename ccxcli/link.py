"""The node's transport to its SSM. `LabLink` delivers messages in-process to the SSM
folders of the lab (an HTTP transport implements the same methods without touching the
engine). Every message carries an id; the SSM answers an id it has seen before with the
answer it gave then, so a message sent again after a crash changes nothing twice."""

from __future__ import annotations

from typing import Any

from ccxcli.errors import CommError, StoreError, UsageError
from ccxcli.lab import DEFAULT_SSM, Lab

GATEWAY_PATH = "/Transportgateway/services/DeviceRequestHandler"
SATELLITE_PATH = "/SmartTransport"
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-_[]:")


def split_url(url: str) -> tuple[str, int | None, str]:
    """(host, port or None, path) of an `https://host[:port]/path` URL; UsageError otherwise."""
    text = url.strip()
    bad = UsageError(f"Invalid URL '{text[:120]}': expected https://<host>[:<port>]/<path>.")
    if not text.lower().startswith("https://") or not text.isprintable() or len(text) > 512:
        raise bad
    rest = text[8:]
    hostport, slash, path = rest.partition("/")
    if hostport.startswith("["):  # [IPv6]:port
        host, _, after = hostport.partition("]")
        host += "]"
        colon, port = (":", after[1:]) if after.startswith(":") else ("", "")
        if after and not colon:
            raise bad
    else:
        host, colon, port = hostport.rpartition(":") if ":" in hostport else (hostport, "", "")
    host = host.lower()
    if not host or not set(host) <= _HOST_CHARS or (colon and not (port.isascii() and port.isdigit())):
        raise bad
    if colon and not 1 <= int(port) <= 65535:
        raise bad
    return host, int(port) if colon else None, slash + path


def url_host(url: str, mode: str) -> str:
    """The host of an SSM On-Prem URL; UsageError if it does not have the expected shape."""
    path = GATEWAY_PATH if mode == "gateway" else SATELLITE_PATH
    try:
        host, _, got = split_url(url)
    except UsageError:
        host, got = "", ""
    if not host or got.lower() != path.lower():
        raise UsageError(f"Invalid URL '{url.strip()[:120]}': expected https://<host>{path}.")
    return host


def message_id(node: dict[str, Any], kind: str, t: int) -> str:
    """The id of an automatic message: the same instance, kind and time is the same message."""
    return f"{kind}:{node['reg'].get('instance')}:{t}"


def _fault(node: dict[str, Any]) -> None:
    from ccxcli.core.failures import ssm_failure

    problem = ssm_failure(node)
    if problem:
        raise CommError(problem)


class LabLink:
    def __init__(self, lab: Lab) -> None:
        self.lab = lab

    # -- which SSM ------------------------------------------------------------------
    def target(self, node: dict[str, Any]) -> str:
        """The SSM name the node's transport reaches; CommError if none answers."""
        if not node["network"]:
            raise CommError("Communication with Cisco SSM failed: the network is down ('sim network up' restores it).")
        _fault(node)
        tr = node["transport"]
        if tr["mode"] in ("direct", "proxy"):
            if not (self.lab.ssm_dir(DEFAULT_SSM) / "ssm.db").exists():
                raise CommError("Communication with Cisco SSM failed: the cloud SSM of this lab does not exist.")
            return DEFAULT_SSM
        host = url_host(tr["url"], tr["mode"])
        on_prem = [n for n in self.lab.ssm_names() if self.lab.ssm(n).on_prem]
        for name in on_prem:
            if host in (h.lower() for h in self.lab.ssm(name).names()):
                return name
        names = "; ".join(f"{n}: {', '.join(self.lab.ssm(n).names())}" for n in on_prem) or "no on-prem SSM in this lab"
        raise CommError(
            f"Communication with SSM On-Prem failed: certificate name mismatch, '{host}' is not the "
            f"common name or a subject alternative name of the SSM certificate ({names})."
        )

    def _registered(self, node: dict[str, Any]) -> Any:
        if not node["network"]:
            raise CommError("Communication with Cisco SSM failed: the network is down.")
        _fault(node)
        name = node["reg"].get("ssm") or DEFAULT_SSM
        if not (self.lab.ssm_dir(name) / "ssm.db").exists():
            raise CommError(f"Communication with SSM '{name}' failed: it no longer exists in this lab.")
        try:
            return self.lab.ssm(name)
        except StoreError as e:  # an SSM that cannot open its database does not answer
            raise CommError(f"Communication with SSM '{name}' failed: {e.message}") from None

    # -- messages ---------------------------------------------------------------------
    def register(self, node: dict[str, Any], msg: dict[str, Any]) -> dict[str, Any]:
        from ccxcli.ssm import smart

        name = self.target(node)
        hello = {
            "uuid": node["uuid"],
            "sn": node["sn"],
            "license_type": node["license_type"],
            "hostname": node["hostname"] if node["send_hostname"] else "",
        }
        info = smart.register(self.lab.ssm(name), msg["token"], hello, msg["t"], msg["force"], msg["id"])
        info["ssm"] = name
        return info

    def renew(self, node: dict[str, Any], now: int, what: str, msg_id: str | None = None) -> None:
        from ccxcli.ssm import smart

        ssm = self._registered(node)
        smart.contact(ssm, node["uuid"], now, what, msg_id or message_id(node, what, now))

    def report(self, node: dict[str, Any], use: dict[str, int], now: int) -> dict[str, Any] | None:
        """The SSM's judgement, or None when it could not be reached (InstanceGone passes)."""
        from ccxcli.ssm import smart

        try:
            ssm = self._registered(node)
        except CommError:
            return None
        return smart.report(ssm, node["uuid"], use, now, message_id(node, "report", now))

    def report_batch(self, node: dict[str, Any], use: dict[str, int], first: int, last: int) -> dict[str, Any] | None:
        """The reports due from `first` to `last`, each the same `use`, as one message; None
        when the SSM could not be reached (InstanceGone passes)."""
        from ccxcli.ssm import smart

        try:
            ssm = self._registered(node)
        except CommError:
            return None
        return smart.report_batch(ssm, node["uuid"], use, first, last, message_id(node, "steady", last))

    def deregister(self, node: dict[str, Any], now: int, msg_id: str) -> None:
        from ccxcli.ssm import smart

        smart.deregister(self._registered(node), node["uuid"], now, msg_id)

    def pool_version(self, node: dict[str, Any]) -> int | None:
        from ccxcli.ssm import smart

        if not node["network"]:
            return None
        try:
            return smart.pool_version(self._registered(node), node["uuid"])
        except CommError:
            return None
