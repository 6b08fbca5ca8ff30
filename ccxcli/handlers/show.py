"""show license status|summary|all|usage|reservation|techsupport."""

from __future__ import annotations

from typing import Any

from ccxcli import render
from ccxcli.core import engine
from ccxcli.core.status import build
from ccxcli.dispatch import Ctx
from ccxcli.runtime import Result


def _doc(ctx: Ctx) -> dict[str, Any]:
    return build(ctx.node, ctx.now)


def status(ctx: Ctx, a: dict[str, Any]) -> Result:
    doc = _doc(ctx)
    return Result("\n".join(render.status(doc)), doc)


def summary(ctx: Ctx, a: dict[str, Any]) -> Result:
    doc = _doc(ctx)
    return Result("\n".join(render.status(doc, short=True) + [""] + render.usage_table(doc)), doc)


def usage(ctx: Ctx, a: dict[str, Any]) -> Result:
    doc = _doc(ctx)
    return Result("\n".join(render.usage(doc)), {"usage": doc["usage"], "now": doc["now"]})


def reservation(ctx: Ctx, a: dict[str, Any]) -> Result:
    doc = _doc(ctx)
    return Result("\n".join(render.reservation(doc)), {"reservation": doc["reservation"], "now": doc["now"]})


def _all_lines(doc: dict[str, Any]) -> list[str]:
    u = doc["udi"]
    return (
        render.status(doc)
        + [""]
        + render.usage(doc)
        + [""]
        + render.reservation(doc)
        + [""]
        + render.transport(doc)
        + [
            "",
            "Product Information:",
            f"  UDI: PID:{u['pid']},SN:{u['sn']},UUID:{u['uuid']}",
            f"  License Type: {doc['license_type_name']} ({doc['license_type']})",
        ]
    )


def all_(ctx: Ctx, a: dict[str, Any]) -> Result:
    doc = _doc(ctx)
    return Result("\n".join(_all_lines(doc)), doc)


def techsupport(ctx: Ctx, a: dict[str, Any]) -> Result:
    doc = _doc(ctx)
    node = ctx.node
    events = [engine.format_event(node, e) for e in node["events"][-50:]]
    doc["events"] = events
    lines = _all_lines(doc) + [""] + render.alerts(doc) + ["", "Recent Events:"] + [f"  {e}" for e in events]
    return Result("\n".join(lines), doc)
