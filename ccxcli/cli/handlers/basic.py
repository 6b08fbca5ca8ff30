"""help, exit, UDI, and the lab's clock, nodes and network."""

from __future__ import annotations

from ccxcli import clock, drawing
from ccxcli.cli import commands
from ccxcli.cli.grammar import Command, Param
from ccxcli.core import cluster
from ccxcli.core.catalogue import TYPES
from ccxcli.errors import CcxError, RuleError, UsageError
from ccxcli.runtime import Outcome
from ccxcli.session.context import Ctx
from ccxcli.store.lab import check_node_name

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from typing import TypedDict

    from ccxcli.cli.grammar import Args
    from ccxcli.core.state import NodeState

    class NodeRow(TypedDict):  # one line of `sim node list`
        name: str
        current: bool
        sn: str
        license_type: str
        registration: str
        authorization: str
        ssm: str | None
        ooc: bool | None
        enforcement: str | None


ADDED = ("appadmin", "sim")  # ccxcli's own groups: the Administration web pages and the lab


def help_(ctx: Ctx, a: Args) -> Outcome:
    """One layout for every listing (command words, then the one-line help); one command
    gets its usage, arguments with their ranges, what it changes and an example."""
    words = a.many("command")
    rows = [c for c in commands.COMMANDS if not words or any(_starts(w, words) for w in c.spellings)]
    if not rows:
        raise UsageError(f"No command starts with '{' '.join(words)}'. Type 'help' for the list.")
    low = [w.lower() for w in words]
    exact = [c for c in rows if any([w.lower() for w in s] == low for s in c.spellings)] or [
        c for c in rows if any(len(s) == len(words) for s in c.spellings)
    ]
    if len(rows) == 1 or len(exact) == 1 and words:
        one = _one(exact[0] if exact else rows[0])
        more = [c.name for c in rows if c not in exact[:1]]
        if more:
            one.text += "\nAlso: " + "; ".join(more) + "."
        return one
    real = [c for c in rows if c.words[0] not in ADDED]
    added = [c for c in rows if c.words[0] in ADDED]
    width = max(len(c.name) for c in rows)
    lines = [f"{c.name.ljust(width)}  {c.help}{VOS_MARK if _vos_licensing(c) else ''}" for c in real]
    if added:
        if real:
            lines.append("")
        lines.append("Added by ccxcli, not in the real CLI (appadmin: the Administration web pages; sim: the lab):")
        lines += [f"{c.name.ljust(width)}  {c.help}" for c in added]
    lines.append("")
    if any(_vos_licensing(c) for c in real):
        lines.append(f"{VOS_MARK.strip()}: a licensing command that follows {commands.VOS_REFERENCE}.")
    lines.append("'help <command>' shows its usage, arguments, what it changes and an example.")
    data = [
        {"command": c.synopsis, "help": c.help, "real_cli": c.words[0] not in ADDED, "reference": commands.reference(c)}
        for c in rows
    ]
    return Outcome("\n".join(lines), {"commands": data})


VOS_MARK = " [VOS]"


def _vos_licensing(c: Command) -> bool:
    return "license" in c.words[:2] and commands.reference(c) == "vos"


def arg_label(p: Param) -> str:
    """How `help <command>` names a parameter: `<token>`, `{on|off}`, `[force]`, `--count N`."""
    if p.kind == "arg":
        return f"<{p.name}>"
    if p.kind == "choice":
        return "{" + "|".join(p.choices) + "}"
    if p.kind == "opt":
        return f"{p.name} {p.metavar}" if p.takes_value else p.name
    return p.name


def _one(cmd: Command) -> Outcome:
    args = {arg_label(p): cmd.args.get(p.name, "") for p in cmd.params}
    lines = [f"Usage: {cmd.synopsis}", "", f"  {cmd.help}"]
    if cmd.aliases:
        lines.append("  Also spelled: " + "; ".join(" ".join(w) for w in cmd.aliases))
    if cmd.words[0] in ADDED:
        lines.append("  (added by ccxcli: not in the real CLI)")
    ref = commands.reference(cmd)
    if ref:
        lines.append(f"  Reference: {commands.UCCX_GUIDE if ref == 'uccx' else commands.VOS_REFERENCE}.")
    if args:
        width = max(len(k) for k in args)
        lines += ["", "Arguments:"] + [f"  {k.ljust(width)}  {v}" for k, v in args.items()]
    lines += ["", f"Changes: {cmd.changes}", f"Example: {cmd.example}"]
    data = {
        "command": cmd.synopsis,
        "help": cmd.help,
        "arguments": args,
        "changes": cmd.changes,
        "example": cmd.example,
        "aliases": [" ".join(w) for w in cmd.aliases],
        "real_cli": cmd.words[0] not in ADDED,
        "reference": ref,
    }
    return Outcome("\n".join(lines), data)


def _starts(words: tuple[str, ...], prefix: list[str]) -> bool:
    return len(prefix) <= len(words) and all(
        w.lower().startswith(p.lower()) for w, p in zip(words, prefix, strict=False)
    )


def exit_(ctx: Ctx, a: Args) -> Outcome:
    return Outcome(leave=True)


def udi(node: NodeState) -> dict[str, str]:
    return {"pid": "UCCX", "sn": node["sn"], "uuid": node["uuid"]}


def show_udi(ctx: Ctx, a: Args) -> Outcome:
    d = udi(ctx.node)
    return Outcome(f"UDI: PID:{d['pid']},SN:{d['sn']},UUID:{d['uuid']}", {"udi": d})


def _clock(ctx: Ctx) -> tuple[str, dict[str, object]]:
    c = ctx.lab.clock
    now = ctx.now
    data: dict[str, object] = {"now": clock.iso(now), "epoch": now, "realtime": c.realtime}
    return f"Virtual time: {clock.vos(now)} ({clock.iso(now)}){' [realtime]' if c.realtime else ' [frozen]'}", data


def clock_show(ctx: Ctx, a: Args) -> Outcome:
    return Outcome(*_clock(ctx))


def _move(ctx: Ctx, target: int) -> Outcome:
    from ccxcli.session.life import move

    lab = ctx.lab
    _ = ctx.node  # this command's node must be usable (a corrupt one exits 3; use --node for another)
    if target < ctx.now:
        raise UsageError(f"Time only moves forward: {clock.iso(target)} is before {clock.iso(ctx.now)}.")
    if target > clock.MAX_TIME:
        raise UsageError(f"The virtual clock stops at the end of year 9999; it is {clock.iso(ctx.now)} now.")
    before = ctx.now
    others = [n for n in lab.node_names() if n != ctx.rt.node]
    states = {name: _states(n, before) for name in [ctx.rt.node, *others] if (n := _loadable(ctx, name))}
    shown = drawing.later(ctx.rt.err, ctx.rt.env.environ, "Moving the clock", target - before)
    try:
        moved = move(lab, target, shown)
    finally:
        if shown is not None:
            shown.close()
    text, data = _clock(ctx)
    data["events_processed"] = moved.steps
    summaries = []
    for name, was in states.items():  # this node first, then the others of the lab
        node = ctx.node_named(name)
        summaries.append(_what_happened(node, before, was, _states(node, target), moved.tally.get(name, {})))
    text += "".join("\n" + line for line, _ in summaries)
    data["node"] = summaries[0][1]
    data["nodes"] = [one for _, one in summaries]
    if moved.skipped:
        data["skipped"] = sorted(moved.skipped)
        text += "".join(
            f"\nNode {name} was not moved: its state file is corrupt (repair it, or 'sim node delete {name}')."
            for name in sorted(moved.skipped)
        )
    return Outcome(text, data)


def _loadable(ctx: Ctx, name: str) -> NodeState | None:
    """A node of the lab the clock can move (a corrupt one is left behind, and said so)."""
    from ccxcli.errors import StoreError

    try:
        return ctx.lab.load(name)
    except StoreError:
        return None


def _states(node: NodeState, t: int) -> tuple[str, str]:
    from ccxcli.core.engine import authorization_status, registration_status

    return registration_status(node), authorization_status(node, t)


def _what_happened(
    node: NodeState, before: int, states: tuple[str, str], after: tuple[str, str], tally: dict[str, int]
) -> tuple[str, dict[str, object]]:
    """One or two lines: what the move did to this node (reports, renewals, states, alerts)."""

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    new = [e[2] for e in node["events"] if e[0] > before]
    raised = [t.split(": ", 1)[1].split(":")[0].split(" - ")[0] for t in new if t.startswith("ALERT raised: ")]
    cleared = [t.split(": ", 1)[1] for t in new if t.startswith("ALERT cleared: ")]
    did = []
    if tally.get("reports"):
        did.append(f"{plural(tally['reports'], 'usage report')} delivered")
    if tally.get("reports_failed"):
        did.append(f"{plural(tally['reports_failed'], 'usage report')} not delivered (sent again once the SSM answers)")
    for key, word in (("auth", "authorization renewal"), ("id", "registration renewal")):
        if tally.get(key):
            did.append(plural(tally[key], word))
        if tally.get(f"{key}_failed"):
            did.append(f"{plural(tally[key + '_failed'], word)} failed")
    changes = [
        f"{what} {a} -> {b}"
        for what, a, b in zip(("Registration", "Authorization"), states, after, strict=True)
        if a != b
    ]
    publisher = cluster.publisher_of(node)
    if publisher is not None:  # a cluster's subscriber: its licensing is the publisher's
        text = f"Node {node['name']}: subscriber of {publisher}; its agents count there."
    else:
        line = f"Node {node['name']}: " + (", ".join(did) if did else "no report or renewal was due") + "; "
        line += ", ".join(changes) if changes else f"still {after[0]}, {after[1]}"
        text = line + "."
    if raised or cleared:
        text += (
            "\nAlerts "
            + "; ".join(
                part
                for part in (
                    f"raised: {', '.join(dict.fromkeys(raised))}" if raised else "",
                    f"cleared: {', '.join(dict.fromkeys(cleared))}" if cleared else "",
                )
                if part
            )
            + "."
        )
    data: dict[str, object] = {
        "name": node["name"],
        "counts": dict(tally),
        "registration": {"before": states[0], "after": after[0]},
        "authorization": {"before": states[1], "after": after[1]},
        "alerts_raised": raised,
        "alerts_cleared": cleared,
    }
    return text, data


def clock_advance(ctx: Ctx, a: Args) -> Outcome:
    return _move(ctx, ctx.now + clock.parse_duration(a.text("duration")))


def clock_set(ctx: Ctx, a: Args) -> Outcome:
    return _move(ctx, clock.parse_time(a.text("time")))


def clock_realtime(ctx: Ctx, a: Args) -> Outcome:
    ctx.lab.clock.set_realtime(a.text("state") == "on")
    return Outcome(*_clock(ctx))


def node_create(ctx: Ctx, a: Args) -> Outcome:
    from ccxcli.core.identity import OVA, valid_version

    ltype = a.get("type") or "flex"
    if ltype not in TYPES:
        raise UsageError(f"Unknown license type '{ltype}'; use one of {', '.join(TYPES)}.")
    ova = a.get("ova")
    if ova is not None and ova not in OVA:
        raise UsageError(f"Unknown OVA profile '{ova}'; use one of {', '.join(OVA)} (agents).")
    version = a.get("version")
    if version is not None and not valid_version(version):
        raise UsageError(f"Invalid version '{version[:40]}': use a UCCX version such as 11.6.2.10000-41 or 12.5.1.")
    if (version or a.flag("wfo")) and not a.flag("classic"):
        raise UsageError("--version and --wfo describe a Classic Licensing node that is to be upgraded: add --classic.")
    extra = {"ova": ova, "version": version, "wfo": True if a.flag("wfo") else None}
    publisher = a.get("subscriber_of")
    if publisher is not None:
        if a.get("type") is not None or a.flag("classic"):
            raise UsageError("A subscriber takes its publisher's license type: leave out --type and --classic.")
        pub = ctx.node_named(publisher)
        cluster.check_publisher(pub, _subscribers_of(ctx, publisher))
        ltype = pub["license_type"]
        extra.update(publisher=publisher, ova=ova or pub.get("ova"))
    node = ctx.lab.add_node(a.text("name"), ltype, bool(a.flag("classic")), **extra)
    if ctx.lab.data.get("slr_tiers") == "strict":  # the lab's reading of the disputed SLR rule (`sim lab slr-tiers`)
        node["slr"]["strict_tiers"] = True
    role = f", subscriber of {publisher}: Smart Licensing runs there" if publisher else ""
    return Outcome(
        f"Node {node['name']} created (UDI SN {node['sn']}, license type {ltype}"
        f"{', Classic Licensing' if node['classic'] else ''}{role}).",
        {"node": node["name"], "udi": {"pid": "UCCX", "sn": node["sn"], "uuid": node["uuid"]}},
    )


def node_list(ctx: Ctx, a: Args) -> Outcome:
    from ccxcli.errors import StoreError

    rows: list[NodeRow] = []
    for name in ctx.lab.node_names():
        current = name == ctx.rt.node
        try:
            n = ctx.node_named(name)
        except StoreError:
            row: NodeRow = {
                "name": name,
                "current": current,
                "sn": "-",
                "license_type": "-",
                "registration": "CORRUPT",
                "authorization": "-",
                "ssm": None,
                "ooc": None,
                "enforcement": None,
            }
        else:
            enforce = n["enforce"]
            registration, authorization = _states(n, ctx.now)
            row = {
                "name": name,
                "current": current,
                "sn": n["sn"],
                "license_type": n["license_type"],
                "registration": registration,
                "authorization": authorization,
                "ssm": n["reg"].get("ssm"),
                "ooc": bool(n["comp"]["ooc"]),
                "enforcement": enforce["reason"] if enforce else None,
            }
        rows.append(row)
    lines = [
        f"  {'Node':<16} {'SN':<6} {'License Type':<18} {'Registration':<24} {'Authorization':<26} "
        f"{'SSM':<12} {'OOC':<4} Enforcement"
    ]
    lines += [
        f"{'*' if r['current'] else ' '} {r['name']:<16} {r['sn']:<6} {r['license_type']:<18} "
        f"{r['registration']:<24} {r['authorization']:<26} {_ssm_label(r['ssm']):<12} "
        f"{'-' if r['ooc'] is None else 'yes' if r['ooc'] else 'no':<4} {r['enforcement'] or '-'}"
        for r in rows
    ]
    lines.append("(* this node)")
    return Outcome("\n".join(lines), {"nodes": rows})


def _ssm_label(where: str | None) -> str:
    """The SSM a node is registered with: an SSM of the lab by name, a served one by its host."""
    from ccxcli.session.link import is_remote
    from ccxcli.urls import split_url

    if not where:
        return "-"
    if is_remote(where):
        return split_url(where)[0][:12]
    return where


def check_node_delete(ctx: Ctx, a: Args) -> None:
    """A node may go only when no SSM of the lab holds licenses for it (else they would be
    stuck there for good: the node's keys go with it). A corrupt node may always go."""
    from ccxcli.core.admin import check_node_deletable
    from ccxcli.errors import StoreError

    check_node_name(a.text("name"))
    if a.text("name") not in ctx.lab.node_names():
        ctx.lab.load(a.text("name"))  # says which nodes exist
    try:
        node = ctx.node_named(a.text("name"))
    except StoreError:
        return
    check_node_deletable(node, _held_on_ssms(ctx, node["uuid"]))
    subscribers = _subscribers_of(ctx, node["name"])
    if subscribers:
        raise RuleError(f"Node {node['name']} is the publisher of {subscribers[0]}: delete its subscriber first.")


def _subscribers_of(ctx: Ctx, publisher: str) -> list[str]:
    """The nodes of the lab that are subscribers of `publisher` (an unreadable node is none)."""

    def publisher_of(name: str) -> str | None:
        try:
            return cluster.publisher_of(ctx.lab.load(name))
        except CcxError:
            return None

    return [n for n in ctx.lab.node_names() if n != publisher and publisher_of(n) == publisher]


def _held_on_ssms(ctx: Ctx, uuid: str) -> list[str]:
    from ccxcli.ssm.core import smart

    held = []
    for name in ctx.lab.ssm_names():
        try:
            held += [f"{what} on SSM '{name}'" for what in smart.held_for(ctx.ssm(name), uuid)]
        except CcxError:
            continue  # an SSM that cannot be read holds nothing we could release
    return held


def node_delete(ctx: Ctx, a: Args) -> Outcome:
    check_node_delete(ctx, a)
    ctx.lab.delete_node(a.text("name"))
    return Outcome(f"Node {a.text('name')} deleted.", {"deleted": a.text("name")})


def lab_reset(ctx: Ctx, a: Args) -> Outcome:
    """Works on a lab whose files are corrupt: nothing of the old lab is read."""
    from ccxcli.session.context import reset_lab
    from ccxcli.store.lab import DEFAULT_NODE, DEFAULT_SSM

    reset_lab(ctx.rt)
    now = ctx.now  # opening the lab creates the embedded default
    where = ctx.rt.home
    text = (
        f"Lab {where} reset: node {DEFAULT_NODE} (Flex, unregistered, evaluation starting now), "
        f"SSM {DEFAULT_SSM} with the demo licenses, clock at {clock.iso(now)}."
    )
    if ctx.rt.node != DEFAULT_NODE:
        text += f" Node {ctx.rt.node} is gone: create it again with 'sim node create {ctx.rt.node}'."
    return Outcome(text, {"home": str(where), "nodes": [DEFAULT_NODE], "ssms": [DEFAULT_SSM], "now": clock.iso(now)})


def network(ctx: Ctx, a: Args) -> Outcome:
    from ccxcli.core.engine import log

    node = ctx.node
    up = a.text("link") == "up"
    if node["network"] != up:
        node["network"] = up
        log(node, ctx.now, f"Network to Cisco SSM {'restored' if up else 'lost'}")
    return Outcome(
        f"Network {'up' if up else 'down'}: node {node['name']} {'can' if up else 'cannot'} reach its SSM.",
        {"network": "up" if up else "down"},
    )
