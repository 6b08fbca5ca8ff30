"""Agents, ports and the Administration portal's licensing pages."""

from __future__ import annotations

from ccxcli import clock
from ccxcli.core import admin, agents, engine
from ccxcli.core.catalogue import CONTROL_FIELDS, SKILLS, TYPES
from ccxcli.core.consumption import is_premium, usage
from ccxcli.errors import UsageError, printable
from ccxcli.runtime import Outcome
from ccxcli.session.context import Ctx
from ccxcli.values import MAX_COUNT, whole

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from ccxcli.cli.grammar import Args
    from ccxcli.core.state import Agent, ControlChanges, PortKind

CONTROL_LABELS = {
    "agent_seats": "Agent Seats",
    "premium_seats": "Premium Seats",
    "standard_seats": "Standard Seats",
    "outbound_ports": "Outbound Ports",
    "ivr_ports": "IVR Ports",
}
PORT_LABELS = {"inbound": "Inbound", "outbound": "Outbound", "ivr": "IVR"}
PORT_KINDS: tuple[PortKind, ...] = ("inbound", "outbound", "ivr")


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


def agent_add(ctx: Ctx, a: Args) -> Outcome:
    aid = _id(a.text("id"))
    new = agents.add(ctx.licensed_node, aid, _skills(a.get("skills")), a.flag("supervisor"))
    return Outcome(f"Agent {_agent_text(aid, new)}.", {"agent": aid, **new})


def _on_off(text: str | None, option: str) -> bool | None:
    if text is None:
        return None
    if text.lower() not in ("on", "off"):
        raise UsageError(f"{option} takes on or off.")
    return text.lower() == "on"


def agent_modify(ctx: Ctx, a: Args) -> Outcome:
    aid = a.text("id")
    skills = _skills(a.get("skills")) if a.get("skills") else None
    new = agents.modify(ctx.licensed_node, ctx.now, aid, skills, _on_off(a.get("supervisor"), "--supervisor"))
    return Outcome(f"Agent {_agent_text(aid, new)}.", {"agent": aid, **new})


def agent_delete(ctx: Ctx, a: Args) -> Outcome:
    aid = a.text("id")
    agents.delete(ctx.licensed_node, ctx.now, aid)
    return Outcome(f"Agent {aid} deleted.", {"deleted": aid})


def _plural(n: int) -> str:
    return f"{n} agent{'s' if n != 1 else ''}"


def agent_login(ctx: Ctx, a: Args) -> Outcome:
    count = a.get("count")
    many = whole(count, "--count", 1, agents.MAX_AGENTS) if count is not None else None
    done = agents.login(ctx.licensed_node, ctx.now, [_id(i) for i in a.many("id")], many, a.flag("premium"))
    use = usage(ctx.licensed_node)
    return Outcome(
        f"{_plural(len(done))} logged in; in use now: " + ", ".join(f"{k} {v}" for k, v in use.items()),
        {"logged_in": done, "usage": use},
    )


def agent_logout(ctx: Ctx, a: Args) -> Outcome:
    done = agents.logout(ctx.licensed_node, ctx.now, a.many("id"), a.flag("all"))
    return Outcome(f"{_plural(len(done))} logged out.", {"logged_out": done, "usage": usage(ctx.licensed_node)})


def agent_list(ctx: Ctx, a: Args) -> Outcome:
    node = ctx.licensed_node
    agents = sorted(node["agents"].items())
    rows = [{"id": aid, "license": "premium" if is_premium(ag) else "standard", **ag} for aid, ag in agents]
    return Outcome("\n".join(_agent_text(aid, ag) for aid, ag in agents) or "No agents.", {"agents": rows})


def ports(ctx: Ctx, a: Args) -> Outcome:
    node = ctx.licensed_node
    kind = next(k for k in PORT_KINDS if k == a.text("kind"))  # the grammar allows only these
    n = whole(a.text("n"), "The port count", 0, MAX_COUNT)
    admin.set_ports(node, ctx.now, kind, n)
    return Outcome(f"{PORT_LABELS[kind]} ports in use: {n}.", {"ports": dict(node["ports"])})


def license_type(ctx: Ctx, a: Args) -> Outcome:
    ltype = a.text("type")
    admin.set_license_type(ctx.node, ctx.now, ltype)
    return Outcome(f"License type set to {TYPES[ltype][1]} ({TYPES[ltype][0]}).", {"license_type": ltype})


def license_control(ctx: Ctx, a: Args) -> Outcome:
    node = ctx.node
    changes: ControlChanges = {}
    for key in admin.CONTROL_KEYS:
        value = a.get(key)
        if value is not None:
            changes[key] = whole(value, f"--{key.replace('_', '-')}", 0, MAX_COUNT)
    overage = a.get("overage")
    if overage is not None:
        if overage.lower() not in ("on", "off"):
            raise UsageError("--overage takes on or off.")
        changes["overage"] = overage.lower() == "on"
    admin.set_license_control(node, ctx.now, changes)
    c: dict[str, object] = dict(node["control"])
    text = [f"Overage Allowance: {'Enabled' if c.get('overage', True) else 'Disabled'}"]
    fields = CONTROL_FIELDS[node["license_type"]]  # the type's fields only, as the portal page shows them
    text += [f"{CONTROL_LABELS[k]}: {c[k] if c.get(k) is not None else 'not set (no limit)'}" for k in fields]
    return Outcome("\n".join(text), {"license_control": dict(c)})


def consumption(ctx: Ctx, a: Args) -> Outcome:
    from ccxcli.cli.consumption_report import chart, draw_chart, table
    from ccxcli.core import report

    node = ctx.node
    end = _when(a.get("to"), ctx.now)
    start = _when(a.get("from"), min(max(end - clock.DAY, node["created"]), end - 1))
    rows = report.rows(node, start, end, ctx.now, a.get("interval") or "15m")
    if not a.flag("chart"):
        return Outcome(table(rows), {"intervals": rows})
    environ = ctx.rt.env.environ  # the session's: its colours
    return Outcome(chart(rows), {"intervals": rows}, draw=lambda out, width: draw_chart(rows, out, environ, width))


def _when(text: str | None, default: int) -> int:
    if text is None:
        return default
    return clock.parse_time(text)


def alerts(ctx: Ctx, a: Args) -> Outcome:
    from ccxcli.cli import render
    from ccxcli.core.status import build

    doc = build(ctx.node, ctx.now)
    return Outcome("\n".join(render.alerts(doc)), {"alerts": doc["alerts"]})


def events(ctx: Ctx, a: Args) -> Outcome:
    node = ctx.node
    last = whole(a.get("last") or "50", "--last", 0, 100_000)
    evs = node["events"][-last:] if last else []
    return Outcome(
        "\n".join(engine.format_event(node, e) for e in evs),
        {"events": [{"time": clock.iso(e[0]), "severity": e[1], "message": e[2]} for e in evs]},
    )


def check_migrate(ctx: Ctx, a: Args) -> str | None:
    return admin.check_can_migrate(ctx.node)


def classic_show(ctx: Ctx, a: Args) -> Outcome:
    from ccxcli.core.identity import license_mac, version

    node = ctx.node
    lic = node.get("classic_license")
    licenses = lic["counts"] if lic else {}
    data: dict[str, object] = {
        "classic": node["classic"],
        "license_mac": license_mac(node),
        "version": version(node),
        "wfo": bool(node.get("wfo")),
        "licenses": licenses,
        "issued": lic["issued"] if lic else None,
    }
    lines = [
        f"Licensing: {'Classic' if node['classic'] else 'Smart (migrated)' if lic else 'Smart'}",
        f"License MAC: {data['license_mac']}",
        f"Version: {data['version']}{' (with WFO)' if data['wfo'] else ''}",
        "Installed Classic licenses:" if lic else "Installed Classic licenses: none",
    ]
    lines += [f"  {alias}: {n}" for alias, n in sorted(licenses.items())]
    return Outcome("\n".join(lines), data)


def classic_install(ctx: Ctx, a: Args) -> Outcome:
    from ccxcli.codetext import read_file
    from ccxcli.ssm.core.classic import read_file as read_license

    fields = read_license(
        read_file(a.text("file"), what="a classic license file", root=ctx.rt.file_root), ctx.lab.trusted_keys()
    )
    admin.install_classic(ctx.node, ctx.now, fields)
    counts = fields["counts"]
    return Outcome(
        "Classic license file installed: " + (", ".join(f"{n} {x}" for x, n in sorted(counts.items())) or "none") + ".",
        {"installed": counts},
    )


def migrate(ctx: Ctx, a: Args) -> Outcome:
    admin.migrate_to_smart(ctx.node, ctx.now)
    return Outcome("Migrated to Smart Licensing. Choose the license type, then register.", {"smart_licensing": True})


# --- the Classic Licensing commands of the CLI (before 12.5 a node's licenses were files) -------------

_CLASSIC_LINES = {
    "premium-seat": "Cisco Unified CCX Premium Seat(s)",
    "enhanced-seat": "Cisco Unified CCX Enhanced Seat(s)",
    "ivr-port": "Total IVR Port(s)",
    "outbound-port": "Cisco Unified CCX Outbound IVR Port(s)",
    "server": "Cisco Unified CCX Server(s)",
    "lab-server": "Cisco Unified CCX Lab Server(s)",
}


def show_uccx_license(ctx: Ctx, a: Args) -> Outcome:
    node = ctx.node
    lic = node.get("classic_license")
    if not node["classic"]:
        return Outcome(
            "This node uses Smart Licensing: 'show license summary' shows its licenses (Classic license files "
            "apply to Classic Licensing only).",
            {"classic": False, "licenses": {}},
        )
    counts = lic["counts"] if lic else {}
    package = "Cisco Unified CCX " + (
        "Premium" if counts.get("premium-seat") else "Enhanced" if counts.get("enhanced-seat") else "IP IVR"
    )
    lines = ["Configured Licenses:", ""]
    if not counts:
        lines.append("No licenses are configured: upload a license file (Administration, License Management).")
    else:
        lines.append(f"Package: {package}")
        lines += [f"{_CLASSIC_LINES.get(alias, alias)}: {n}" for alias, n in sorted(counts.items())]
        lines.append(f"High Availability : {'Enabled' if counts.get('server', 0) > 1 else 'Disabled'}")
    file = admin.classic_file_name(node)
    data = {
        "classic": True,
        "package": package if counts else None,
        "licenses": dict(counts),
        "file": file,
        "issued": lic["issued"] if lic else None,
    }
    return Outcome("\n".join(lines), data)


def list_license(ctx: Ctx, a: Args) -> Outcome:
    file = admin.classic_file_name(ctx.node) if ctx.node["classic"] else None
    if not file:
        return Outcome("No license files are uploaded.", {"files": []})
    return Outcome(f"The following license files are uploaded:\n  {file}", {"files": [file]})


def delete_license(ctx: Ctx, a: Args) -> Outcome:
    counts = admin.delete_classic(ctx.node, ctx.now, a.text("licensefile"))
    held = ", ".join(f"{n} {x}" for x, n in sorted(counts.items())) or "no licenses"
    return Outcome(
        f"License file {a.text('licensefile')} deleted ({held}).",
        {"deleted": a.text("licensefile"), "licenses": counts},
    )
