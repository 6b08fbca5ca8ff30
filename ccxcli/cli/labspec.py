"""A lab described as code: a TOML file (`sim lab apply FILE`, `sim lab check FILE`).

One table of what a file may say (`SECTIONS`) feeds the reading, its refusals (each naming
the line) and the JSON Schema editors read (`schema()`, printed by `sim lab schema`). The
file is read and checked whole before anything is built; applying it is `labfile`'s.

    [lab]               start, advance
    [[ssm]]             an SSM: cloud (the lab's Cisco SSM) or an SSM On-Prem
    [[virtual_account]] a virtual account of an SSM, with the licenses it holds
    [[subscription]]    licenses of a subscription term in a virtual account
    [[token]]           a registration token to hand out
    [[portal_user]]     a user of the SSM's portal, limited to a virtual account or not
    [[ssh_user]]        a user of `ccx serve`, the nodes it may reach, operator or not
    [[node]]            a node: type, OVA profile, transport, registered or reserved, agents, faults
    [[goal]]            what `sim lab check` grades, one line each
"""

from __future__ import annotations

import datetime
import re
import sys
from typing import Any

from ccxcli.clock import iso, parse_duration, parse_time
from ccxcli.core.catalogue import BY_ALIAS, TYPES
from ccxcli.core.failures import FAULTS
from ccxcli.errors import UsageError
from ccxcli.store.lab import DEFAULT_NODE, DEFAULT_SSM, valid_name
from ccxcli.values import MAX_COUNT, host_name, plain_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MAX_FILE = 1024 * 1024
MAX_ITEMS = 1000  # tables of one kind
REGISTRATION = ("UNREGISTERED", "REGISTERED", "REGISTERED_SLR", "REGISTRATION_EXPIRED", "REGISTRATION_FAILED")
AUTHORIZATION = (
    "EVAL_MODE",
    "EVAL_EXPIRED",
    "AUTHORIZED",
    "AUTHORIZED_RESERVED",
    "OUT_OF_COMPLIANCE",
    "AUTHORIZATION_EXPIRED",
    "NO_LICENSES_IN_USE",
)
ROLES = ("admin", "user", "viewer")
OVA_PROFILES = (100, 300, 400)

# kind: what a value must be. name: a node or SSM name; va: a virtual account name; counts: a
# table of license alias = quantity; one of a|b: one of those words.
Field = tuple[str, str]  # (kind, what it means)
SECTIONS: dict[str, tuple[bool, dict[str, Field], tuple[str, ...]]] = {
    # section: (an array of tables, its keys, its required keys)
    "lab": (
        False,
        {
            "start": ("datetime", "When the lab's clock starts (frozen there; UTC). Default: now."),
            "advance": ("duration", "Time that passes for every node once everything is set up: 8h, 85d."),
            "slr_tiers": (
                "one of borrow|strict",
                "Under SLR: does a higher tier cover a lower one? (sim lab slr-tiers)",
            ),
        },
        (),
    ),
    "ssm": (
        True,
        {
            "name": (
                "name",
                "'cloud' (the lab's Cisco SSM, made with the demo licenses unless demo = false) or an "
                "SSM On-Prem's name.",
            ),
            "account": ("text", "The smart account's name (default: Demo Smart Account)."),
            "domain": ("host", "The smart account's domain (Cisco's API paths)."),
            "demo": ("bool", "Deposit the demo licenses (default: true for cloud, false for an on-prem)."),
            "export_allowed": ("bool", "Permit Export-Controlled functionality."),
            "on_prem": ("bool", "An SSM On-Prem (needs hostname)."),
            "hostname": ("host", "An on-prem's certificate name, which nodes reach it by."),
            "mode": ("one of connected|disconnected", "An on-prem's synchronization with cloud (default connected)."),
            "virtual_accounts": ("vas", "The cloud virtual accounts an on-prem serves (default: all)."),
        },
        ("name",),
    ),
    "virtual_account": (
        True,
        {
            "name": ("va", "The virtual account's name."),
            "ssm": ("name", "The SSM it belongs to (default cloud)."),
            "description": ("text", "Free text."),
            "licenses": ("counts", "Licenses deposited in it: alias = quantity."),
        },
        ("name",),
    ),
    "subscription": (
        True,
        {
            "license": ("one of " + "|".join(BY_ALIAS), "The license."),
            "quantity": ("int", "How many."),
            "va": ("va", "The virtual account (default DEFAULT)."),
            "ssm": ("name", "The SSM (default cloud)."),
            "starts": ("date", "The term's first day (default: the lab's start)."),
            "ends": ("date", "The term's last day: its licenses leave the pool the day after."),
        },
        ("license", "quantity", "ends"),
    ),
    "token": (
        True,
        {
            "va": ("va", "The virtual account (default DEFAULT)."),
            "ssm": ("name", "The SSM (default cloud)."),
            "description": ("text", "Free text, shown with the token."),
            "expires_days": ("int", "Days before it expires (default 30)."),
            "max_uses": ("int", "How many registrations it allows (default: unlimited)."),
            "export_controlled": ("bool", "Allow Export-Controlled functionality."),
        },
        (),
    ),
    "portal_user": (
        True,
        {
            "name": ("text", "The user name."),
            "password": ("text", "The password (at least 8 characters; keep the file private)."),
            "role": ("one of admin|user|viewer", "Smart Account Administrator, Virtual Account User or Viewer."),
            "va": ("va", "The virtual account it is limited to (needed for user and viewer)."),
            "ssm": ("name", "The SSM (default cloud)."),
        },
        ("name", "password"),
    ),
    "ssh_user": (
        True,
        {
            "name": ("text", "The user name `ccx serve` lets in (USER or USER@NODE)."),
            "password": ("text", "Its password (at least 8 characters)."),
            "keys": ("texts", "OpenSSH public key lines."),
            "nodes": ("names", "The nodes it may reach (default: every node)."),
            "operator": ("bool", "May change the lab as a whole (clock, nodes, reset)."),
        },
        ("name",),
    ),
    "node": (
        True,
        {
            "name": ("name", "The node's name."),
            "type": ("one of " + "|".join(TYPES), "License type (default flex)."),
            "ova": ("ova", "OVA profile: 100, 300 or 400 agents (default 400)."),
            "version": ("text", "UCCX version (default: current)."),
            "subscriber_of": ("name", "A node before it in the file: this one is its cluster's subscriber."),
            "transport": ("text", "direct (default), or gateway URL, or ssm-satellite URL (an SSM On-Prem)."),
            "register": ("va", "Register with a new token of this virtual account (of `ssm`)."),
            "reserve": ("counts", "Reserve these licenses (SLR) in `va` of `ssm`: alias = quantity."),
            "va": ("va", "The virtual account a reservation is made in (default DEFAULT)."),
            "ssm": ("name", "The SSM it registers with or reserves from (default cloud)."),
            "agents": ("int", "Agents logged in (standard)."),
            "premium_agents": ("int", "Agents logged in with premium skills."),
            "faults": ("faults", "Injected failures: " + ", ".join(sorted(FAULTS)) + "."),
            "network": ("one of up|down", "Its network, once set up (default up)."),
        },
        ("name",),
    ),
    "goal": (
        True,
        {
            "node": ("name", "The node the goal is about."),
            "va": ("va", "Or the virtual account (of `ssm`) it is about."),
            "ssm": ("name", "The SSM of `va` (default cloud)."),
            "registration": ("one of " + "|".join(REGISTRATION), "The node's registration status."),
            "authorization": ("one of " + "|".join(AUTHORIZATION), "The node's authorization status."),
            "reserved": ("counts", "Exactly these licenses reserved on the node."),
            "alerts": (
                "int",
                "How many alerts: the node's own, or the SSM's for the virtual account (not informational ones).",
            ),
            "in_use": ("counts", "A virtual account's licenses in use: alias = quantity."),
            "title": ("text", "The goal's line (default: made from what it checks)."),
        },
        (),
    ),
}


class LabFileError(UsageError):
    """A lab file that cannot be applied: the message names the file and the line."""


Spec = dict[str, Any]


def read(text: str, where: str) -> Spec:
    """The lab file's content, checked whole; LabFileError naming the line otherwise."""
    if len(text) > MAX_FILE:
        raise LabFileError(f"{where}: too large (at most {MAX_FILE // 1024} KiB).")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise LabFileError(f"{where}: not TOML: {e}.") from None
    lines = _Lines(text, where)
    spec: Spec = {}
    for section, value in doc.items():
        if section not in SECTIONS:
            raise lines.error(f"unknown section [{section}] (known: {', '.join(SECTIONS)})", section)
        many, keys, required = SECTIONS[section]
        tables = value if isinstance(value, list) else [value]
        if many != isinstance(value, list) or not all(isinstance(t, dict) for t in tables):
            form = f"[[{section}]] tables" if many else f"one [{section}] table"
            raise lines.error(f"[{section}] must be {form}", section)
        if len(tables) > MAX_ITEMS:
            raise lines.error(f"at most {MAX_ITEMS} [[{section}]] tables", section)
        spec[section] = [_table(lines, section, i, t, keys, required) for i, t in enumerate(tables)]
    _references(spec, lines)
    return spec


def _table(
    lines: _Lines, section: str, i: int, table: dict[str, Any], keys: dict[str, Field], required: tuple[str, ...]
) -> dict[str, Any]:
    out = {}
    for key, value in table.items():
        if key not in keys:
            raise lines.error(f"[{section}] has no key '{key}' (keys: {', '.join(keys)})", section, i, key)
        try:
            out[key] = _value(keys[key][0], value, key)
        except UsageError as e:
            raise lines.error(e.message.rstrip("."), section, i, key) from None
    for key in required:
        if key not in out:
            raise lines.error(f"[{section}] needs '{key}'", section, i)
    return out


def _value(kind: str, v: Any, key: str) -> Any:
    if kind == "bool":
        if not isinstance(v, bool):
            raise UsageError(f"'{key}' must be true or false")
        return v
    if kind == "ova":
        if v not in OVA_PROFILES or isinstance(v, bool):
            raise UsageError(f"'{key}' must be 100, 300 or 400")
        return v
    if kind == "int":
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= MAX_COUNT:
            raise UsageError(f"'{key}' must be a whole number from 0 to {MAX_COUNT}")
        return v
    if kind == "date":
        if isinstance(v, datetime.date) and not isinstance(v, datetime.datetime):
            return v.isoformat()
        if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
            parse_time(v + "T00:00:00Z", key)
            return v
        raise UsageError(f"'{key}' must be a date (2027-12-31)")
    if kind == "datetime":
        if isinstance(v, datetime.datetime):
            if v.tzinfo is None:
                raise UsageError(f"'{key}' needs its time zone (Z for UTC)")
            return int(v.timestamp())
        if isinstance(v, datetime.date):
            return int(datetime.datetime(v.year, v.month, v.day, tzinfo=datetime.timezone.utc).timestamp())
        if isinstance(v, str):
            return parse_time(v, key)
        raise UsageError(f"'{key}' must be a date and time (2026-03-02T09:00:00Z)")
    if not isinstance(v, (str, list, dict)):
        raise UsageError(f"'{key}' has the wrong kind of value")
    if kind == "counts":
        if not isinstance(v, dict):
            raise UsageError(f"'{key}' must be a table of license = quantity (flex-standard = 20)")
        for alias, n in v.items():
            if alias not in BY_ALIAS:
                raise UsageError(f"unknown license '{alias}' in '{key}' (licenses: {', '.join(BY_ALIAS)})")
            if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_COUNT:
                raise UsageError(f"'{key}.{alias}' must be a whole number from 0 to {MAX_COUNT}")
        return dict(v)
    if kind in ("names", "vas", "texts", "faults"):
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise UsageError(f"'{key}' must be a list of strings")
        one = {"names": "name", "vas": "va", "texts": "text", "faults": "fault"}[kind]
        return [_value(one, x, key) for x in v]
    if not isinstance(v, str):
        raise UsageError(f"'{key}' must be a string")
    if kind == "name":
        if not valid_name(v):
            raise UsageError(f"'{key}' = '{v[:40]}' is not a name: 1-32 lowercase letters, digits and dashes")
        return v
    if kind == "va":
        return plain_text(v, f"'{key}'", 64)
    if kind == "text":
        return plain_text(v, f"'{key}'", 4096)
    if kind == "host":
        return host_name(v, f"'{key}'")
    if kind == "duration":
        parse_duration(v)
        return v
    if kind == "fault":
        if v not in FAULTS:
            raise UsageError(f"unknown fault '{v[:40]}' in '{key}' (faults: {', '.join(sorted(FAULTS))})")
        return v
    if kind.startswith("one of "):
        words = kind[7:].split("|")
        if v not in words:
            raise UsageError(f"'{key}' must be one of {', '.join(words)}")
        return v
    raise AssertionError(kind)


def _references(spec: Spec, lines: _Lines) -> None:
    """Names that must be declared, and declared once."""
    ssms = {DEFAULT_SSM: {}} | {s["name"]: s for s in spec.get("ssm", [])}
    for i, s in enumerate(spec.get("ssm", [])):
        if s["name"] != DEFAULT_SSM and not s.get("on_prem"):
            raise lines.error(f"SSM '{s['name']}' is not cloud: give on_prem = true and its hostname", "ssm", i)
        if s.get("on_prem") and "hostname" not in s:
            raise lines.error("an SSM On-Prem needs 'hostname'", "ssm", i)
    _unique(lines, "ssm", [s["name"] for s in spec.get("ssm", [])])
    vas = {(ssm, "DEFAULT") for ssm in ssms} | {
        (v.get("ssm", DEFAULT_SSM), v["name"]) for v in spec.get("virtual_account", [])
    }
    _unique(
        lines, "virtual_account", [f"{v.get('ssm', DEFAULT_SSM)}/{v['name']}" for v in spec.get("virtual_account", [])]
    )
    nodes = [n["name"] for n in spec.get("node", [])]
    _unique(lines, "node", nodes)
    _unique(lines, "portal_user", [u["name"].lower() for u in spec.get("portal_user", [])])
    _unique(lines, "ssh_user", [u["name"] for u in spec.get("ssh_user", [])])
    for section in ("virtual_account", "subscription", "token", "portal_user", "node", "goal"):
        for i, t in enumerate(spec.get(section, [])):
            ssm = t.get("ssm", DEFAULT_SSM)
            if ssm not in ssms:
                raise lines.error(f"no SSM '{ssm}' in this file (declare it in [[ssm]])", section, i, "ssm")
            for key in ("va", "register") if section != "virtual_account" else ():
                if key in t and (ssm, t[key]) not in vas:
                    raise lines.error(f"no virtual account '{t[key]}' of SSM '{ssm}' in this file", section, i, key)
    for i, n in enumerate(spec.get("node", [])):
        if "register" in n and "reserve" in n:
            raise lines.error("a node is registered or reserved, not both", "node", i, "reserve")
    for i, u in enumerate(spec.get("portal_user", [])):
        if u.get("role", "user") != "admin" and "va" not in u:
            raise lines.error("a user or viewer is limited to a virtual account: give 'va'", "portal_user", i)
    for i, u in enumerate(spec.get("ssh_user", [])):
        for name in u.get("nodes", []):
            if name not in nodes:
                raise lines.error(f"no node '{name}' in this file", "ssh_user", i, "nodes")
        if "password" not in u and not u.get("keys"):
            raise lines.error("an SSH user needs a password or keys", "ssh_user", i)
    for i, g in enumerate(spec.get("goal", [])):
        if ("node" in g) == ("va" in g):
            raise lines.error("a goal is about a node or a virtual account: give one of 'node' and 'va'", "goal", i)
        if "node" in g and g["node"] not in nodes and g["node"] != DEFAULT_NODE:
            raise lines.error(f"no node '{g['node']}' in this file", "goal", i, "node")
        checks = [k for k in ("registration", "authorization", "reserved", "alerts", "in_use") if k in g]
        if not checks:
            raise lines.error(
                "a goal checks something: registration, authorization, reserved, alerts or in_use", "goal", i
            )
        wrong = [
            k for k in checks if k in (("in_use",) if "node" in g else ("registration", "authorization", "reserved"))
        ]
        if wrong:
            raise lines.error(
                f"'{wrong[0]}' is not a check for a {'node' if 'node' in g else 'virtual account'}", "goal", i, wrong[0]
            )


def _unique(lines: _Lines, section: str, names: list[str]) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            raise lines.error(f"'{name}' is declared twice", section, i)
        seen.add(name)


def goal_title(g: dict[str, Any]) -> str:
    """A goal as its line says it: `node s01 is REGISTERED_SLR with 20 flex-standard reserved`."""
    if "title" in g:
        return str(g["title"])
    states = [g[k] for k in ("registration", "authorization") if k in g]
    having = []
    if "reserved" in g:
        having.append(f"{_counts(g['reserved'])} reserved")
    if "in_use" in g:
        having.append(f"{_counts(g['in_use'])} in use")
    if "alerts" in g:
        having.append("no alert" if g["alerts"] == 0 else f"{g['alerts']} alert{'s' if g['alerts'] != 1 else ''}")
    who = f"node {g['node']}" if "node" in g else f"virtual account {g['va']}"
    return " ".join(
        [
            who,
            *(["is " + " and ".join(states)] if states else []),
            *(["with " + " and ".join(having)] if having else []),
        ]
    )


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {a}" for a, n in sorted(counts.items()) if n) or "nothing"


def start_of(spec: Spec) -> str | None:
    lab = (spec.get("lab") or [{}])[0]
    return iso(lab["start"]) if "start" in lab else None


class _Lines:
    """Where things are in the file's text, to name the line of a refusal."""

    HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]\]?")
    KEY = re.compile(r"""^\s*["']?([A-Za-z0-9_-]+)["']?\s*=""")

    def __init__(self, text: str, where: str) -> None:
        self.text, self.where = text.split("\n"), where

    def find(self, section: str, index: int = 0, key: str | None = None) -> int | None:
        current, seen = None, -1
        for n, line in enumerate(self.text, start=1):
            m = self.HEADER.match(line)
            if m:
                if m.group(2) == section:
                    seen += 1
                    current = seen
                    if key is None and seen == index:
                        return n
                else:
                    current = None
                continue
            if key is not None and current == index and (k := self.KEY.match(line)) and k.group(1) == key:
                return n
            if key is None and seen < 0 and (k := self.KEY.match(line)) and k.group(1) == section:
                return n  # a key at the top, outside any table
        return self.find(section, index) if key is not None else None

    def error(self, problem: str, section: str, index: int = 0, key: str | None = None) -> LabFileError:
        n = self.find(section, index, key)
        return LabFileError(f"{self.where}{f', line {n}' if n else ''}: {problem}.")


def schema() -> dict[str, Any]:
    """The JSON Schema of a lab file, for editors (Taplo, VS Code's Even Better TOML)."""
    props = {}
    for section, (many, keys, required) in SECTIONS.items():
        fields = {k: {**_json_kind(kind), "description": what} for k, (kind, what) in keys.items()}
        table = {"type": "object", "additionalProperties": False, "required": list(required), "properties": fields}
        props[section] = {"type": "array", "items": table} if many else table
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "ccxcli lab file",
        "description": "A lab described as code: 'ccx sim lab apply FILE', 'ccx sim lab check FILE'.",
        "type": "object",
        "additionalProperties": False,
        "properties": props,
    }


def _json_kind(kind: str) -> dict[str, Any]:
    name = {"type": "string", "pattern": "^[a-z][a-z0-9-]{0,31}$"}
    if kind == "bool":
        return {"type": "boolean"}
    if kind == "int":
        return {"type": "integer", "minimum": 0, "maximum": MAX_COUNT}
    if kind == "ova":
        return {"enum": list(OVA_PROFILES)}
    if kind == "datetime":
        return {"type": "string", "format": "date-time"}
    if kind == "date":
        return {"type": "string", "format": "date"}
    if kind == "counts":
        quantity = {"type": "integer", "minimum": 0, "maximum": MAX_COUNT}
        return {"type": "object", "additionalProperties": False, "properties": dict.fromkeys(BY_ALIAS, quantity)}
    if kind == "name":
        return name
    if kind == "names":
        return {"type": "array", "items": name}
    if kind in ("vas", "texts"):
        return {"type": "array", "items": {"type": "string"}}
    if kind == "faults":
        return {"type": "array", "items": {"enum": sorted(FAULTS)}}
    if kind.startswith("one of "):
        return {"enum": kind[7:].split("|")}
    return {"type": "string"}
