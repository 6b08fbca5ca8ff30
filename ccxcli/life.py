"""Bringing every node of a lab forward in virtual time, event by event, in timestamp
order across nodes (SPEC §1). Work grows with the number of changes, not the span."""

from __future__ import annotations

from typing import Any

from ccxcli.core import engine
from ccxcli.errors import CcxError
from ccxcli.lab import Lab
from ccxcli.link import LabLink

MAX_STEPS = 2_000_000


def catch_up(lab: Lab, target: int) -> int:
    """Process every due event of every node up to `target` (inclusive); return how many."""
    nodes = [n for n in lab.nodes() if n.get("time", target) < target]
    if not nodes:
        return 0
    link = LabLink(lab)
    steps = 0
    while steps < MAX_STEPS:
        best: tuple[int, str, str, dict[str, Any]] | None = None
        for node in nodes:
            due = engine.next_due(node, _pool_changed(link, node), node["time"])
            if due is not None and due[0] <= target and (best is None or (due[0], node["name"]) < best[:2]):
                best = (due[0], node["name"], due[1], node)
        if best is None:
            break
        t, _, kind, node = best
        node["time"] = t
        _process(link, node, t, kind)
        steps += 1
    for node in nodes:
        engine.sync_eval(node, target)
        node["time"] = target
    return steps


def _pool_changed(link: LabLink, node: dict[str, Any]) -> bool:
    if node["reg"]["status"] != engine.REGISTERED or node["comp"]["outcome"] in (None, "failed"):
        return False
    return link.pool_version(node) != node["comp"]["version"]


def _process(link: LabLink, node: dict[str, Any], t: int, kind: str) -> None:
    if kind == "report":
        sent = engine.to_report(node)
        engine.apply_report(node, t, sent, link.report(node, sent, t))
    elif kind in ("auth_renew", "id_renew"):
        try:
            link.renew(node, t, "auth" if kind == "auth_renew" else "id")
            ok = True
        except CcxError:
            ok = False
        (engine.apply_auth_renew if kind == "auth_renew" else engine.apply_id_renew)(node, t, ok)
    else:
        engine.apply_timer(node, t, kind)
