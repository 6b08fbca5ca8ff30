"""The lab's network as a node meets it (`sim proxy`, `sim ssm cisco`): HTTP proxies that
exist, with their credentials, and where "Cisco SSM" is for the direct and proxy transports."""

from __future__ import annotations

import secrets

from ccxcli.codetext import read_password
from ccxcli.core import engine, transports
from ccxcli.errors import RuleError, UsageError
from ccxcli.runtime import Outcome
from ccxcli.session.context import Ctx
from ccxcli.session.link import proxy_secret
from ccxcli.urls import split_url
from ccxcli.values import plain_text, whole

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ccxcli.cli.grammar import Args

MAX_PROXIES = 100


def _address(text: str) -> tuple[str, int]:
    host, sep, port = text.strip().rpartition(":")
    if not sep or not host:
        raise UsageError(f"Invalid proxy address '{text[:80]}': use HOST:PORT, e.g. proxy.lab:3128.")
    host = plain_text(host.strip("[]"), "The proxy host", 253).lower()
    if any(c.isspace() or c in "/@" for c in host):
        raise UsageError(f"Invalid proxy host '{host[:60]}'.")
    return host, whole(port, "The proxy port", 1, 65535)


def proxy_add(ctx: Ctx, a: Args) -> Outcome:
    host, port = _address(a.text("address"))
    user, pw_file = a.get("user"), a.get("password_file")
    if (user is None) != (pw_file is None):
        raise UsageError("An authenticating proxy needs both --user and --password-file.")
    entry: dict[str, object] = {"host": host, "port": port}
    if user is not None:
        password = read_password(str(pw_file), root=ctx.rt.file_root)
        salt = secrets.token_hex(16)
        entry |= {
            "user": plain_text(str(user), "The proxy user name", 128),
            "salt": salt,
            "hash": proxy_secret(salt, password),
        }
    proxies = [p for p in ctx.lab.proxies() if (p["host"], p["port"]) != (host, port)]
    if len(proxies) >= MAX_PROXIES:
        raise RuleError(f"This lab already has {MAX_PROXIES} proxies; remove some first.")
    ctx.lab.set_proxies([*proxies, entry])
    auth = f", user {user}" if user else ", no authentication"
    return Outcome(f"Proxy {host}:{port} is on this lab's network{auth}.", {"host": host, "port": port, "user": user})


def proxy_list(ctx: Ctx, a: Args) -> Outcome:
    rows = [{"host": p["host"], "port": p["port"], "user": p.get("user")} for p in ctx.lab.proxies()]
    if not rows:
        return Outcome("No proxies on this lab's network ('sim proxy add HOST:PORT').", {"proxies": []})
    text = "\n".join(
        f"{r['host']}:{r['port']}  {'user ' + r['user'] if r['user'] else 'no authentication'}" for r in rows
    )
    return Outcome(text, {"proxies": rows})


def proxy_remove(ctx: Ctx, a: Args) -> Outcome:
    host, port = _address(a.text("address"))
    proxies = ctx.lab.proxies()
    kept = [p for p in proxies if (p["host"], p["port"]) != (host, port)]
    if len(kept) == len(proxies):
        raise RuleError(f"No proxy {host}:{port} on this lab's network.")
    ctx.lab.set_proxies(kept)
    return Outcome(f"Proxy {host}:{port} removed from this lab's network.", {"removed": f"{host}:{port}"})


def cisco(ctx: Ctx, a: Args) -> Outcome:
    target = a.text("target")
    if target.lower() == "lab":
        ctx.lab.set_cisco_url(None)
        return Outcome(
            "Cisco SSM is this lab's cloud SSM (in-process) for the direct and proxy transports.", {"cisco": None}
        )
    split_url(target)
    ctx.lab.set_cisco_url(target.strip())
    return Outcome(
        f"Cisco SSM is {target.strip()} for the direct and proxy transports (over HTTPS; through the "
        "node's proxy with the proxy transport).",
        {"cisco": target.strip()},
    )


def cisco_root(ctx: Ctx, a: Args) -> Outcome:
    """Which root CA Cisco's servers chain to: a root CA change rehearsed (`sim lab cisco-root-ca`)."""
    root = a.text("root")
    if root == transports.CISCO_ROOT:
        ctx.lab.data.pop("cisco_root", None)
    else:
        ctx.lab.data["cisco_root"] = root
    return Outcome(
        f"Cisco's servers now present certificates chained to {transports.ROOTS[root]}.", {"cisco_root": root}
    )


def trust_store(ctx: Ctx, a: Args) -> Outcome:
    """The Cisco root CAs this node trusts (`sim trust-store`)."""
    node = ctx.node
    if a.text("store") == "legacy":
        node["trust_roots"] = ["quovadis"]
    else:
        node.pop("trust_roots", None)
    trusted = node.get("trust_roots", list(transports.ROOTS))
    engine.log(node, ctx.now, "Trust store: " + ", ".join(transports.ROOTS[r] for r in trusted))
    return Outcome(
        f"Node {node['name']} trusts {' and '.join(transports.ROOTS[r] for r in trusted)}.", {"trust_roots": trusted}
    )
