"""Lab snapshots (save, load, list, export, import: `ccxcli.store.snapshots` does the files)
and scenario presets (`ccxcli.cli.scenarios` builds them)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ccxcli import clock
from ccxcli.cli import labfile, labspec, scenarios
from ccxcli.errors import RuleError, UsageError
from ccxcli.runtime import Outcome
from ccxcli.session import adoption
from ccxcli.session.context import Ctx
from ccxcli.ssm.core.schema import foreign
from ccxcli.store import snapshots
from ccxcli.store.lab import DEFAULT_SSM, check_node_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ccxcli.cli.grammar import Args


def save(ctx: Ctx, a: Args) -> Outcome:
    lab = ctx.lab
    lab.commit()  # what this session changed is in the snapshot
    info = snapshots.save(lab, snapshots.check_name(a.text("name")), clock.wall_now())
    text = (
        f"Snapshot {info['name']} saved: nodes {', '.join(info['nodes']) or 'none'}, SSMs "
        f"{', '.join(info['ssms']) or 'none'}, clock at {clock.iso(info['lab_time'])}."
    )
    return Outcome(text, {"snapshot": _shown(info)})


def check_load(ctx: Ctx, a: Args) -> None:
    """Refused before the question when there is no such snapshot."""
    snapshots.existing(ctx.rt.home, snapshots.check_name(a.text("name")))


def load(ctx: Ctx, a: Args) -> Outcome:
    info = snapshots.load(ctx.lab, snapshots.check_name(a.text("name")))
    text = (
        f"Snapshot {info['name']} loaded: nodes {', '.join(info['nodes']) or 'none'}, SSMs "
        f"{', '.join(info['ssms']) or 'none'}, clock at {clock.iso(ctx.lab.now())}."
    )
    return Outcome(text, {"snapshot": _shown(info), "now": clock.iso(ctx.lab.now())})


def _shown(info: dict[str, object]) -> dict[str, object]:
    lab_time, saved = info.get("lab_time"), info.get("saved")
    return {
        "name": info.get("name"),
        "nodes": info.get("nodes"),
        "ssms": info.get("ssms"),
        "lab_time": clock.iso(lab_time) if isinstance(lab_time, int) else None,
        "saved": clock.iso(saved) if isinstance(saved, int) else None,
    }


def snapshots_list(ctx: Ctx, a: Args) -> Outcome:
    rows = [_shown(s) for s in snapshots.names(ctx.rt.home)]
    lines = [f"{'Snapshot':<32} {'Lab time':<21} {'Saved (wall clock)':<21} Nodes / SSMs"]
    lines += [
        f"{r['name']!s:<32} {r['lab_time']!s:<21} {r['saved']!s:<21} "
        f"{', '.join(r['nodes'] or [])} / {', '.join(r['ssms'] or [])}"  # type: ignore[arg-type]
        for r in rows
    ]
    return Outcome("\n".join(lines) if rows else "No snapshots yet: 'sim lab save NAME'.", {"snapshots": rows})


def export(ctx: Ctx, a: Args) -> Outcome:
    from ccxcli.uploads import confine

    name, path = snapshots.check_name(a.text("name")), a.text("file")
    size = snapshots.export(ctx.rt.home, name, str(confine(path, ctx.rt.file_root)))
    return Outcome(
        f"Snapshot {name} written to {path} ({size} bytes).", {"snapshot": name, "file": path, "bytes": size}
    )


def import_(ctx: Ctx, a: Args) -> Outcome:
    from ccxcli.uploads import confine

    path = a.text("file")
    info = snapshots.import_(ctx.rt.home, str(confine(path, ctx.rt.file_root)), a.get("name"), vet=foreign)
    return Outcome(
        f"Snapshot {info['name']} imported from {path}; load it with 'sim lab load {info['name']}'.",
        {"snapshot": _shown(info), "file": path},
    )


def scenario_list(ctx: Ctx, a: Args) -> Outcome:
    rows = scenarios.described()
    width = max(len(r["name"]) for r in rows)
    return Outcome("\n".join(f"{r['name']:<{width}}  {r['description']}" for r in rows), {"scenarios": rows})


def check_scenario(ctx: Ctx, a: Args) -> bool:
    """An unknown scenario, or a lab that is not fresh without --replace, is refused before
    the question (a scenario loaded in the middle of a class replaced every student's node).
    Loaded into one new node (--node), it replaces nothing: no question (False)."""
    if a.text("name") not in scenarios.SCENARIOS:
        raise UsageError(f"No scenario '{a.text('name')[:40]}'. Known: {', '.join(scenarios.SCENARIOS)}.")
    node = a.get("node")
    if node is not None:
        if a.flag("replace"):
            raise UsageError("--node loads the scenario into one new node and replaces nothing: leave out --replace.")
        scenarios.for_one_node(a.text("name"))
        check_node_name(node)
        if node in ctx.lab.node_names():
            raise RuleError(
                f"Node '{node}' exists already; a scenario is loaded into a new node (or 'sim node delete')."
            )
        if not (ctx.lab.ssm_dir(DEFAULT_SSM) / "ssm.db").exists():
            raise RuleError(f"A scenario loaded into one node needs the lab's SSM '{DEFAULT_SSM}'.")
        return False
    _fresh_or_replace(ctx, a, f"sim scenario load {a.text('name')}")
    return True


def _fresh_or_replace(ctx: Ctx, a: Args, command: str) -> None:
    if not a.flag("replace") and not labfile.fresh(ctx):
        raise UsageError(
            f"This lab is not fresh (it has nodes, SSMs, registrations or tokens of its own); '{command} --replace' "
            "replaces it whole ('sim lab save NAME' keeps it first)."
        )


def scenario_load(ctx: Ctx, a: Args) -> Outcome:
    check_scenario(ctx, a)
    name = a.text("name")
    node = a.get("node")
    if node is not None:
        return _scenario_node(ctx, name, node)
    src = scenarios.build(ctx.rt, name)
    try:
        info = snapshots.load_from(ctx.lab, src)
    finally:
        shutil.rmtree(os.path.dirname(os.path.dirname(src)), ignore_errors=True)
    text = (
        f"Scenario {name} loaded: {scenarios.SCENARIOS[name][0]} Nodes {', '.join(info['nodes'])}, SSMs "
        f"{', '.join(info['ssms'])}, clock at {clock.iso(ctx.lab.now())}."
    )
    return Outcome(
        text, {"scenario": name, "nodes": info["nodes"], "ssms": info["ssms"], "now": clock.iso(ctx.lab.now())}
    )


def _scenario_node(ctx: Ctx, name: str, node: str) -> Outcome:
    """The scenario built for one new node, in its own virtual account, at this lab's time."""
    built = scenarios.build_lab(ctx.rt, name, end=ctx.now, keys_from=ctx.lab.ssm_dir(DEFAULT_SSM))
    note = f"Scenario '{name}' loaded for node {node}: {scenarios.SCENARIOS[name][0]}"
    try:
        adoption.adopt(ctx.lab, built, node, note)
    finally:
        if not ctx.lab.data.get(adoption.KEY):  # finished or refused: the temporary lab goes
            shutil.rmtree(built, ignore_errors=True)
    text = (
        f"Scenario {name} loaded into node {node} (virtual account '{node}' of SSM {DEFAULT_SSM}): "
        f"{scenarios.SCENARIOS[name][0]} The other nodes and the clock are as they were."
    )
    return Outcome(text, {"scenario": name, "node": node, "va": node, "now": clock.iso(ctx.now)})


# --- a lab as code ------------------------------------------------------------------------------


def check_apply(ctx: Ctx, a: Args) -> None:
    """The file is read and checked whole, and a lab that is not fresh needs --replace, before
    anything is asked."""
    labfile.read(a.text("file"), ctx.rt.file_root)
    _fresh_or_replace(ctx, a, "sim lab apply FILE")


def apply(ctx: Ctx, a: Args) -> Outcome:
    check_apply(ctx, a)
    path = a.text("file")
    spec = labfile.read(path, ctx.rt.file_root)
    src, tokens = labfile.build(ctx.rt, spec, path)
    try:
        info = snapshots.load_from(ctx.lab, src)
    finally:
        shutil.rmtree(os.path.dirname(os.path.dirname(src)), ignore_errors=True)
    labfile.ssh_users(Path(ctx.rt.home), spec)
    now = clock.iso(ctx.lab.now())
    lines = [
        f"Lab applied from {path}: nodes {', '.join(info['nodes']) or 'none'}, SSMs "
        f"{', '.join(info['ssms'])}, clock at {now}."
    ]
    lines += [
        f"Token for {t['va']} ({t['ssm']}){': ' + t['description'] if t['description'] else ''}: {t['token']}"
        for t in tokens
    ]
    if spec.get("ssh_user"):
        lines.append(f"SSH users: {', '.join(u['name'] for u in spec['ssh_user'])} ('ccx serve' lets them in).")
    data = {
        "file": path,
        "nodes": info["nodes"],
        "ssms": info["ssms"],
        "tokens": tokens,
        "now": now,
        "ssh_users": [u["name"] for u in spec.get("ssh_user", [])],
    }
    return Outcome("\n".join(lines), data, carry=bool(tokens))


def check(ctx: Ctx, a: Args) -> Outcome:
    path = a.text("file")
    spec = labfile.read(path, ctx.rt.file_root)
    if not spec.get("goal"):
        raise UsageError(f"{path} has no [[goal]] to check.")
    rows = labfile.check(ctx, spec)
    failed = [r for r in rows if not r["ok"]]
    lines = [f"{'PASS' if r['ok'] else 'FAIL'}  {r['title']}{'' if r['ok'] else ': found ' + r['found']}" for r in rows]
    lines.append(f"{len(rows) - len(failed)} of {len(rows)} goals met.")
    return Outcome(
        "\n".join(lines),
        {"goals": rows, "met": len(rows) - len(failed), "failed": len(failed)},
        code=1 if failed else 0,
    )


def schema(ctx: Ctx, a: Args) -> Outcome:
    import json

    doc = labspec.schema()
    return Outcome(json.dumps(doc, indent=2), doc)
