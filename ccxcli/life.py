"""Bringing every node of a lab forward in virtual time, event by event, in timestamp
order across nodes (SPEC §1). Work grows with the number of changes, not the span."""

from __future__ import annotations

from typing import Any

from ccxcli.core import engine
from ccxcli.core import timers as T
from ccxcli.errors import CcxError, InstanceGone
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
        _process(link, node, t, kind, target)
        steps += 1
    for node in nodes:
        engine.sync_eval(node, target)
        node["time"] = target
    return steps


def _pool_changed(link: LabLink, node: dict[str, Any]) -> bool:
    if node["reg"]["status"] != engine.REGISTERED or node["comp"]["outcome"] in (None, "failed"):
        return False
    return bool(link.pool_version(node) != node["comp"]["version"])


def _process(link: LabLink, node: dict[str, Any], t: int, kind: str, target: int) -> None:
    try:
        _message(link, node, t, kind, target)
    except InstanceGone:
        engine.apply_deregister(node, t, "The product instance was removed from the SSM; registration lost")


def _message(link: LabLink, node: dict[str, Any], t: int, kind: str, target: int) -> None:
    if kind == "report":
        sent = engine.to_report(node)
        engine.apply_report(node, t, sent, link.report(node, sent, t))
    elif kind in ("auth_renew", "id_renew"):
        what = "auth" if kind == "auth_renew" else "id"
        apply = engine.apply_auth_renew if what == "auth" else engine.apply_id_renew
        try:
            link.renew(node, t, what)
        except InstanceGone:
            raise
        except CcxError:
            apply(node, t, False)
            return
        # Within one advance nothing can make a later renewal fail once this one
        # succeeded (the network and the SSM's instance only change between commands),
        # so the periodic renewals up to the target are applied as one: the last.
        period = T.AUTH_RENEW if what == "auth" else T.ID_RENEW
        skipped = (target - t) // period
        if skipped:
            t += skipped * period
            link.renew(node, t, what)
            kind_text = "authorization" if what == "auth" else "registration"
            engine.log(node, t, f"{skipped} further automatic {kind_text} renewals succeeded")
        apply(node, t, True)
    else:
        engine.apply_timer(node, t, kind)
