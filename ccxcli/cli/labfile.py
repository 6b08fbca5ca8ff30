"""Applying a lab file (`sim lab apply FILE`) and grading a lab by its goals (`sim lab check
FILE`). `labspec` reads and checks the file.

A lab is built as a scenario is (`scenarios`): in a temporary lab inside the lab home, the
nodes' commands through the dispatcher as a script would run them and the SSM's side through
the SSM core as `ccx-ssm` would, by the real rules; then it replaces the lab at once (as `sim
lab load` does). Nothing is set by hand: a node registered in the file sent its registration
and its first reports, a reservation's codes were made, installed and confirmed."""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ccxcli import clock
from ccxcli.cli import labspec, sshusers
from ccxcli.cli.dispatch import execute
from ccxcli.core import terms
from ccxcli.errors import RuleError, UsageError
from ccxcli.runtime import Env, Runtime, Tunables, in_force
from ccxcli.session.context import Ctx, Shared, open_lab, run
from ccxcli.store import snapshots
from ccxcli.store.files import private_dir
from ccxcli.store.lab import DEFAULT_NODE, DEFAULT_SSM

Spec = labspec.Spec


def read(path: str, root: str | None) -> Spec:
    """A lab file (inside `root` over SSH), read and checked whole (UsageError naming the
    line otherwise)."""
    from ccxcli.store.files import read_bounded
    from ccxcli.uploads import confine

    raw = read_bounded(confine(path, root), "lab", labspec.MAX_FILE)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise labspec.LabFileError(f"{path}: not UTF-8 text.") from None
    return labspec.read(text, path)


def fresh(ctx: Ctx) -> bool:
    """A lab as it is first made: node uccx unregistered, SSM cloud with no instance or token."""
    lab = ctx.lab
    if lab.node_names() != [DEFAULT_NODE] or lab.ssm_names() != [DEFAULT_SSM]:
        return False
    node = ctx.node_named(DEFAULT_NODE)
    if node["reg"]["status"] != "UNREGISTERED" or node["slr"]["enabled"]:
        return False
    return ctx.ssm(DEFAULT_SSM).untouched()


class _Builder:
    """The temporary lab a file is built in, and what the build made (tokens to hand out)."""

    def __init__(self, rt: Runtime, spec: Spec, where: str) -> None:
        self.spec, self.where = spec, where
        private_dir(rt.home)
        self.tmp = tempfile.mkdtemp(prefix=".labfile-", dir=rt.home)
        environ = dict(rt.env.environ)
        start = labspec.start_of(spec)
        if start is not None:
            environ["CCX_LAB_START"] = start
        self.tunables = Tunables.of(environ)
        self.sub = Runtime(
            self.tmp, DEFAULT_NODE, yes=True, env=Env(io.StringIO(), io.StringIO(), io.StringIO(), environ)
        )
        self.tokens: list[dict[str, Any]] = []

    def node(self, name: str, *words: str) -> dict[str, object]:
        """A command on node `name`, as a script runs it; its --json document."""
        self.sub.node = name
        try:
            result, _ = execute(self.sub, list(words))
        except UsageError as e:
            raise RuleError(f"{self.where}: node {name}: '{' '.join(words[:4])} …' was refused: {e.message}") from None
        return result.data if isinstance(result.data, dict) else {}

    def ssm(self, fn: Any) -> Any:
        """An SSM action (ctx → value), committed as any command is."""
        box: list[Any] = []
        run(self.sub, lambda ctx: box.append(fn(ctx)))
        return box[0]

    def build(self) -> str:
        """Build the lab; the snapshot folder it can be loaded from."""
        with in_force(self.tunables):
            shared = Shared(self.sub)
            try:
                shared.open()
                self._ssms()
                self._accounts()
                self._nodes()
                advance = (self.spec.get("lab") or [{}])[0].get("advance")
                if advance:
                    self.node(
                        DEFAULT_NODE if self._has(DEFAULT_NODE) else self._first(), "sim", "clock", "advance", advance
                    )
                shared.close()
                with open_lab(self.tmp) as opened:
                    snapshots.save(opened, "labfile", clock.wall_now())
                return os.path.join(self.tmp, snapshots.FOLDER, "labfile")
            except BaseException:
                shared.close()
                self.discard()
                raise

    def discard(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _has(self, name: str) -> bool:
        return any(n["name"] == name for n in self.spec.get("node", []))

    def _first(self) -> str:
        nodes = self.spec.get("node", [])
        if not nodes:
            raise RuleError(f"{self.where}: 'advance' needs a node to move the clock with; declare one in [[node]].")
        return str(nodes[0]["name"])

    # -- the SSMs ----------------------------------------------------------------------------
    def _ssms(self) -> None:
        from ccxcli.ssm.core import sync
        from ccxcli.ssm.core.db import SsmDb

        cloud_first = sorted(self.spec.get("ssm", []), key=lambda s: s["name"] != DEFAULT_SSM)
        for s in cloud_first:

            def make(ctx: Ctx, s: dict[str, Any] = s) -> None:
                folder = ctx.lab.ssm_dir(s["name"])
                if s["name"] == DEFAULT_SSM:  # the lab's cloud SSM, made again as the file says
                    ctx.lab.close_all()
                    shutil.rmtree(folder)
                extra = {"domain": s["domain"]} if "domain" in s else None
                made = SsmDb.create(
                    folder,
                    account=s.get("account", "Demo Smart Account"),
                    now=ctx.now,
                    demo=s.get("demo", s["name"] == DEFAULT_SSM),
                    on_prem=s.get("on_prem", False),
                    hostname=s.get("hostname"),
                    export_allowed=s.get("export_allowed"),
                    extra_meta=extra,
                )
                try:
                    if s.get("on_prem"):
                        sync.link(
                            made,
                            ctx.ssm(DEFAULT_SSM),
                            s["name"],
                            DEFAULT_SSM,
                            s.get("mode", "connected"),
                            s.get("virtual_accounts", []),
                            ctx.now,
                        )
                finally:
                    made.close()
                if s.get("on_prem") and s.get("mode", "connected") == "connected":
                    sync.run(folder, ctx.lab.ssm_dir, ctx.now)

            self.ssm(make)

    def _accounts(self) -> None:
        from ccxcli.ssm.core import smart, subscriptions, users

        for v in self.spec.get("virtual_account", []):

            def account(ctx: Ctx, v: dict[str, Any] = v) -> None:
                ssm = ctx.ssm(v.get("ssm", DEFAULT_SSM))
                if v["name"] != "DEFAULT":
                    ssm.va_create(v["name"], ctx.now, v.get("description", ""))
                for alias, n in v.get("licenses", {}).items():
                    if n:
                        ssm.license_add(v["name"], alias, n, ctx.now)

            self.ssm(account)
        for sub in self.spec.get("subscription", []):

            def subscription(ctx: Ctx, sub: dict[str, Any] = sub) -> None:
                starts, ends = terms.dates(sub.get("starts"), sub["ends"], ctx.now)
                ssm = ctx.ssm(sub.get("ssm", DEFAULT_SSM))
                subscriptions.add(ssm, sub.get("va", "DEFAULT"), sub["license"], sub["quantity"], starts, ends, ctx.now)

            self.ssm(subscription)
        for t in self.spec.get("token", []):

            def token(ctx: Ctx, t: dict[str, Any] = t) -> dict[str, Any]:
                ssm = ctx.ssm(t.get("ssm", DEFAULT_SSM))
                made = smart.token_create(
                    ssm,
                    t.get("va", "DEFAULT"),
                    ctx.now,
                    t.get("expires_days", 30),
                    t.get("max_uses"),
                    t.get("description", ""),
                    t.get("export_controlled", False),
                )
                return {
                    "ssm": t.get("ssm", DEFAULT_SSM),
                    "va": t.get("va", "DEFAULT"),
                    "token": made,
                    "description": t.get("description", ""),
                }

            self.tokens.append(self.ssm(token))
        for u in self.spec.get("portal_user", []):
            self.ssm(
                lambda ctx, u=u: users.add(
                    ctx.ssm(u.get("ssm", DEFAULT_SSM)),
                    u["name"],
                    u.get("role", "user"),
                    u.get("va"),
                    u["password"],
                    ctx.now,
                )
            )

    # -- the nodes ---------------------------------------------------------------------------
    def _nodes(self) -> None:
        tiers = (self.spec.get("lab") or [{}])[0].get("slr_tiers")
        if tiers:
            self.node(DEFAULT_NODE, "sim", "lab", "slr-tiers", tiers)  # before the nodes: they follow it
        if not self._has(DEFAULT_NODE):
            self.node(DEFAULT_NODE, "sim", "node", "delete", DEFAULT_NODE)
        for n in self.spec.get("node", []):
            name = n["name"]
            if name == DEFAULT_NODE:  # made again as the file says
                self.node(DEFAULT_NODE, "sim", "node", "delete", DEFAULT_NODE)
            words = ["sim", "node", "create", name]
            for key in ("type", "ova", "version", "subscriber_of"):
                if key in n:
                    words += [f"--{key.replace('_', '-')}", str(n[key])]
            self.node(name, *words)
            self._transport(n)
            if "register" in n:
                self._register(n)
            elif "reserve" in n:
                self._reserve(n)
            if n.get("agents"):
                self.node(name, "sim", "agent", "login", "--count", str(n["agents"]))
            if n.get("premium_agents"):
                self.node(name, "sim", "agent", "login", "--count", str(n["premium_agents"]), "--premium")
            for fault in n.get("faults", []):
                self.node(name, "sim", "fault", fault, "on")
            if n.get("network") == "down":
                self.node(name, "sim", "network", "down")

    def _transport(self, n: dict[str, Any]) -> None:
        words = n.get("transport", "").split()
        if not words:
            ssm = next((s for s in self.spec.get("ssm", []) if s["name"] == n.get("ssm", DEFAULT_SSM)), None)
            if ssm is None or not ssm.get("on_prem"):
                return
            words = ["ssm-satellite", f"https://{ssm['hostname']}/SmartTransport"]  # an on-prem is reached by name
        self.node(n["name"], "license", "smart", "transport", *words)

    def _register(self, n: dict[str, Any]) -> None:
        from ccxcli.ssm.core import smart

        ssm_name = n.get("ssm", DEFAULT_SSM)
        token = self.ssm(
            lambda ctx: smart.token_create(
                ctx.ssm(ssm_name), n["register"], ctx.now, 1, 1, f"lab file: node {n['name']}"
            )
        )
        self.node(n["name"], "license", "smart", "register", "idtoken", token)

    def _reserve(self, n: dict[str, Any]) -> None:
        from ccxcli.ssm.core import reserve

        name, counts = n["name"], {a: q for a, q in n["reserve"].items() if q}
        self.node(name, "license", "smart", "reservation", "enable")
        code = str(self.node(name, "license", "smart", "reservation", "request", "specific")["request_code"])
        auth = self.ssm(
            lambda ctx: reserve.authorize(
                ctx.ssm(n.get("ssm", DEFAULT_SSM)), n.get("va", "DEFAULT"), code, counts, ctx.now
            )
        )
        self.node(name, "license", "smart", "reservation", "install", auth)


def build(rt: Runtime, spec: Spec, where: str) -> tuple[str, list[dict[str, Any]]]:
    """Build the file's lab in a temporary lab: its snapshot folder and the tokens it made."""
    builder = _Builder(rt, spec, where)
    return builder.build(), builder.tokens


def ssh_users(home: Path, spec: Spec) -> None:
    """The file's SSH users become `ccx serve`'s users file (replacing the one before)."""
    if not spec.get("ssh_user"):
        return
    path = home / sshusers.FILE
    if path.exists():
        path.unlink()
    for u in spec["ssh_user"]:
        sshusers.add(
            path, u["name"], u.get("password"), u.get("keys", []), u.get("nodes", []), u.get("operator", False)
        )


# --- goals --------------------------------------------------------------------------------------


def check(ctx: Ctx, spec: Spec) -> list[dict[str, Any]]:
    """Each goal of the file against the lab as it is: {title, ok, found}."""
    from ccxcli.core.status import build as status
    from ccxcli.ssm.core import smart

    out = []
    for g in spec.get("goal", []):
        found: list[str] = []
        ok = True
        if "node" in g:
            if g["node"] not in ctx.lab.node_names():
                out.append({"title": labspec.goal_title(g), "ok": False, "found": f"no node {g['node']} in this lab"})
                continue
            doc = status(ctx.node_named(g["node"]), ctx.now)
            reserved = {a: n for a, n in doc["reservation"]["reserved"].items() if n}
            seen = {
                "registration": doc["registration"]["status"],
                "authorization": doc["authorization"]["status"],
                "reserved": reserved,
                "alerts": len(doc["alerts"]),
            }
            wanted = {
                k: ({a: n for a, n in v.items() if n} if k == "reserved" else v) for k, v in g.items() if k in seen
            }
        else:
            ssm_name = g.get("ssm", DEFAULT_SSM)
            if ssm_name not in ctx.lab.ssm_names():
                out.append({"title": labspec.goal_title(g), "ok": False, "found": f"no SSM {ssm_name} in this lab"})
                continue
            ssm = ctx.ssm(ssm_name)
            try:
                va = ssm.va(g["va"])
            except UsageError:
                out.append({"title": labspec.goal_title(g), "ok": False, "found": f"no virtual account {g['va']}"})
                continue
            rows = {r["alias"]: r["in_use"] for r in ssm.license_rows(va)}
            seen = {
                "in_use": {a: rows.get(a, 0) for a in g.get("in_use", {})},
                # an informational alert (licenses returned as they should be) asks nothing of anyone
                "alerts": sum(1 for a in smart.alerts(ssm, ctx.now) if a["va"] == va and a["severity"] != "info"),
            }
            wanted = {k: v for k, v in g.items() if k in seen}
        for key, want in wanted.items():
            if seen[key] != want:
                ok = False
                found.append(f"{key} {_shown(seen[key])}")
        out.append({"title": labspec.goal_title(g), "ok": ok, "found": "; ".join(found)})
    return out


def _shown(v: object) -> str:
    if isinstance(v, dict):
        return ", ".join(f"{n} {a}" for a, n in sorted(v.items())) or "nothing"
    return str(v)
