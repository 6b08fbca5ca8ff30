"""Agents, ports and the Administration portal's licensing pages."""

from __future__ import annotations

from ccxcli import clock
from ccxcli.core import admin, engine
from ccxcli.core.catalogue import CONTROL_FIELDS, SKILLS, TYPES
from ccxcli.core.consumption import is_premium, usage
from ccxcli.errors import RuleError, UsageError, printable
from ccxcli.runtime import Result
from ccxcli.session.context import Ctx
from ccxcli.values import MAX_COUNT, whole

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from typing import Any

    from ccxcli.core.state import Agent, ControlChanges, Node

MAX_AGENTS = 10000
CONTROL_LABELS = {"agent_seats": "Agent Seats", "premium_seats": "Premium Seats", "standard_seats": "Standard Seats",
                  "outbound_ports": "Outbound Ports", "ivr_ports": "IVR Ports"}  # fmt: skip
PORT_LABELS = {"inbound": "Inbound", "outbound": "Outbound", "ivr": "IVR"}


def _skills(text: str | None) -> list[str]:
    if not text:
        return ["voice"]
    skills = [s.strip().lower() for s in text.split(",") if s.strip()]
    bad = [s for s in skills if s not in SKILLS]
    if bad or not skills:
        raise UsageError(f"Unknown skill '{(bad or [text])[0]}'; skills are: {', '.join(SKILLS)}.")
    return sorted(set(skills))


def _id(text: str) -> str:
    if not text or len(text) > 64 or not text.isprintable() or any(c.isspace() for c in text):
        raise UsageError(f"Invalid agent id '{printable(text[:40])}': 1-64 printable characters without spaces.")
    return text


def _agent_text(aid: str, ag: Agent) -> str:
    return (
        f"{aid}: {'premium' if is_premium(ag) else 'standard'} ({', '.join(ag['skills'])}"
        f"{', supervisor' if ag['supervisor'] else ''}), {'logged in' if ag['in'] else 'logged out'}"
    )


def agent_add(ctx: Ctx, a: dict[str, Any]) -> Result:
    node = ctx.node
    aid = _id(a["id"])
    admin.check_sync(node, f"add agent {aid}")
    if aid in node["agents"]:
        raise RuleError(f"Agent {aid} already exists.")
    if len(node["agents"]) >= MAX_AGENTS:
        raise RuleError(f"This node already has {MAX_AGENTS} agents, the most the lab supports.")
    new: Agent = {"skills": _skills(a.get("skills")), "supervisor": bool(a.get("supervisor")), "in": False}
    admin.check_features(node["license_type"], {aid: new}, f"adding agent {aid}")
    node["agents"][aid] = new
    return Result(f"Agent {_agent_text(aid, node['agents'][aid])}.", {"agent": aid, **node["agents"][aid]})


def _agent(node: Node, aid: str) -> Agent:
    try:
        return node["agents"][aid]
    except KeyError:
        raise RuleError(f"No agent '{aid}' on node {node['name']}.") from None


def agent_modify(ctx: Ctx, a: dict[str, Any]) -> Result:
    node = ctx.node
    ag = _agent(node, a["id"])
    admin.check_sync(node, f"modify agent {a['id']}")
    new = ag.copy()
    if a.get("skills"):
        new["skills"] = _skills(a["skills"])
    if a.get("supervisor") is not None:
        if str(a["supervisor"]).lower() not in ("on", "off"):
            raise UsageError("--supervisor takes on or off.")
        new["supervisor"] = str(a["supervisor"]).lower() == "on"
    admin.check_features(node["license_type"], {a["id"]: new}, f"changing agent {a['id']}")
    _apply(ctx, {a["id"]: new}, f"changing agent {a['id']}")
    return Result(f"Agent {_agent_text(a['id'], new)}.", {"agent": a["id"], **new})


def agent_delete(ctx: Ctx, a: dict[str, Any]) -> Result:
    node = ctx.node
    _agent(node, a["id"])
    admin.check_sync(node, f"delete agent {a['id']}")
    del node["agents"][a["id"]]
    engine.usage_changed(node, ctx.now)
    return Result(f"Agent {a['id']} deleted.", {"deleted": a["id"]})


def _logged_in(ag: Agent) -> Agent:
    new = ag.copy()
    new["in"] = True
    return new


def _apply(ctx: Ctx, changes: dict[str, Agent], what: str) -> None:
    admin.apply_agents(ctx.node, ctx.now, changes, what)


def agent_login(ctx: Ctx, a: dict[str, Any]) -> Result:
    node = ctx.node
    ids: list[str] = [_id(i) for i in a["id"]]
    changes: dict[str, Agent] = {}
    for aid in ids:
        changes[aid] = _logged_in(_agent(node, aid))
    if a.get("count") is not None:
        count = whole(a["count"], "--count", 1, MAX_AGENTS)
        premium = bool(a.get("premium"))
        free = [
            aid
            for aid, ag in sorted(node["agents"].items())
            if not ag["in"] and aid not in changes and is_premium(ag) == premium
        ][:count]
        for aid in free:
            changes[aid] = _logged_in(node["agents"][aid])
        missing = count - len(free)
        if missing:
            admin.check_sync(node, f"create {missing} agents")
            if len(node["agents"]) + missing > MAX_AGENTS:
                raise RuleError(f"That would exceed the {MAX_AGENTS} agents the lab supports.")
            prefix = "auto-prem" if premium else "auto-std"
            n = 1
            while missing:
                aid = f"{prefix}-{n:04d}"
                n += 1
                if aid in node["agents"]:
                    continue
                changes[aid] = {"skills": ["chat", "voice"] if premium else ["voice"], "supervisor": False, "in": True}
                missing -= 1
    if not changes:
        raise UsageError("Name the agents to log in, or give --count N.")
    _apply(ctx, changes, f"logging in {len(changes)} agent{'s' if len(changes) != 1 else ''}")
    use = usage(node)
    return Result(
        f"{len(changes)} agent{'s' if len(changes) != 1 else ''} logged in; in use now: "
        + ", ".join(f"{k} {v}" for k, v in use.items()),
        {"logged_in": sorted(changes), "usage": use},
    )


def agent_logout(ctx: Ctx, a: dict[str, Any]) -> Result:
    node = ctx.node
    if a.get("all"):
        ids = [aid for aid, ag in node["agents"].items() if ag["in"]]
    else:
        ids = [aid for aid in a["id"] if _agent(node, aid)]
        if not ids:
            raise UsageError("Name the agents to log out, or give --all.")
    for aid in ids:
        node["agents"][aid]["in"] = False
    engine.usage_changed(node, ctx.now)
    return Result(
        f"{len(ids)} agent{'s' if len(ids) != 1 else ''} logged out.", {"logged_out": sorted(ids), "usage": usage(node)}
    )


def agent_list(ctx: Ctx, a: dict[str, Any]) -> Result:
    node = ctx.node
    agents = sorted(node["agents"].items())
    rows = [{"id": aid, "license": "premium" if is_premium(ag) else "standard", **ag} for aid, ag in agents]
    return Result("\n".join(_agent_text(aid, ag) for aid, ag in agents) or "No agents.", {"agents": rows})


def ports(ctx: Ctx, a: dict[str, Any]) -> Result:
    node = ctx.node
    kind = a["inbound|outbound|ivr"]
    n = whole(a["n"], "The port count", 0, MAX_COUNT)
    admin.set_ports(node, ctx.now, kind, n)
    return Result(f"{PORT_LABELS[kind]} ports in use: {n}.", {"ports": dict(node["ports"])})


TYPE_CHOICE = "|".join(t.replace("-", "_") for t in TYPES)  # the key `bind` gives the {type|…} choice


def license_type(ctx: Ctx, a: dict[str, Any]) -> Result:
    ltype = a[TYPE_CHOICE]
    admin.set_license_type(ctx.node, ctx.now, ltype)
    return Result(f"License type set to {TYPES[ltype][1]} ({TYPES[ltype][0]}).", {"license_type": ltype})


def license_control(ctx: Ctx, a: dict[str, Any]) -> Result:
    node = ctx.node
    changes: ControlChanges = {}
    for key in admin.CONTROL_KEYS:
        if a.get(key) is not None:
            changes[key] = whole(a[key], f"--{key.replace('_', '-')}", 0, MAX_COUNT)
    if a.get("overage") is not None:
        if a["overage"].lower() not in ("on", "off"):
            raise UsageError("--overage takes on or off.")
        changes["overage"] = a["overage"].lower() == "on"
    admin.set_license_control(node, ctx.now, changes)
    c: dict[str, object] = dict(node["control"])
    text = [f"Overage Allowance: {'Enabled' if c.get('overage', True) else 'Disabled'}"]
    fields = CONTROL_FIELDS[node["license_type"]]  # the type's fields only, as the portal page shows them
    text += [f"{CONTROL_LABELS[k]}: {c[k] if c.get(k) is not None else 'not set (no limit)'}" for k in fields]
    return Result("\n".join(text), {"license_control": dict(c)})


def consumption(ctx: Ctx, a: dict[str, Any]) -> Result:
    from ccxcli.cli.consumption_report import build, chart, table

    node = ctx.node
    end = _when(a.get("to"), ctx.now)
    start = _when(a.get("from"), min(max(end - clock.DAY, node["created"]), end - 1))
    rows = build(node, start, end, ctx.now, a.get("interval") or "15m")
    text = chart(rows) if a.get("chart") else table(rows)
    return Result(text, {"intervals": rows})


def _when(text: str | None, default: int) -> int:
    if text is None:
        return default
    return clock.parse_time(text)


def alerts(ctx: Ctx, a: dict[str, Any]) -> Result:
    from ccxcli.cli import render
    from ccxcli.core.status import build

    doc = build(ctx.node, ctx.now)
    return Result("\n".join(render.alerts(doc)), {"alerts": doc["alerts"]})


def events(ctx: Ctx, a: dict[str, Any]) -> Result:
    node = ctx.node
    last = whole(a.get("last") or "50", "--last", 0, 100_000)
    evs = node["events"][-last:] if last else []
    return Result(
        "\n".join(engine.format_event(node, e) for e in evs),
        {"events": [{"time": clock.iso(e[0]), "severity": e[1], "message": e[2]} for e in evs]},
    )


def check_migrate(ctx: Ctx, a: dict[str, Any]) -> str | None:
    return admin.check_can_migrate(ctx.node)


def classic_show(ctx: Ctx, a: dict[str, Any]) -> Result:
    from ccxcli.core.identity import license_mac, version

    node = ctx.node
    lic = node.get("classic_license")
    data: dict[str, Any] = {
        "classic": node["classic"],
        "license_mac": license_mac(node),
        "version": version(node),
        "wfo": bool(node.get("wfo")),
        "licenses": lic["counts"] if lic else {},
        "issued": lic["issued"] if lic else None,
    }
    lines = [
        f"Licensing: {'Classic' if node['classic'] else 'Smart (migrated)' if lic else 'Smart'}",
        f"License MAC: {data['license_mac']}",
        f"Version: {data['version']}{' (with WFO)' if data['wfo'] else ''}",
        "Installed Classic licenses:" if lic else "Installed Classic licenses: none",
    ]
    lines += [f"  {alias}: {n}" for alias, n in sorted(data["licenses"].items())]
    return Result("\n".join(lines), data)


def classic_install(ctx: Ctx, a: dict[str, Any]) -> Result:
    from ccxcli.cli.handlers.slr import trusted_keys
    from ccxcli.codetext import read_file
    from ccxcli.ssm.core.classic import read_file as read_license

    fields = read_license(read_file(a["file"], what="a classic license file", root=ctx.rt.file_root), trusted_keys(ctx))
    admin.install_classic(ctx.node, ctx.now, fields)
    counts = fields["counts"]
    return Result(
        "Classic license file installed: " + (", ".join(f"{n} {x}" for x, n in sorted(counts.items())) or "none") + ".",
        {"installed": counts},
    )


def migrate(ctx: Ctx, a: dict[str, Any]) -> Result:
    admin.migrate_to_smart(ctx.node, ctx.now)
    return Result("Migrated to Smart Licensing. Choose the license type, then register.", {"smart_licensing": True})
