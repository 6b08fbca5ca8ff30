"""show license status|summary|all|usage|reservation|techsupport."""

from __future__ import annotations

from ccxcli.cli import render
from ccxcli.core import engine
from ccxcli.core.status import build
from ccxcli.runtime import Outcome
from ccxcli.session.context import Ctx

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from ccxcli.cli.grammar import Args


def _view(ctx: Ctx, name: str, keys: tuple[str, ...] = ()) -> Outcome:
    doc = build(ctx.node, ctx.now)
    whole: dict[str, object] = dict(doc)
    data = {k: whole[k] for k in (*keys, "now")} if keys else whole
    return Outcome("\n".join(render.VIEWS[name](doc)), data)


def status(ctx: Ctx, a: Args) -> Outcome:
    return _view(ctx, "status")


def summary(ctx: Ctx, a: Args) -> Outcome:
    return _view(ctx, "summary")


def all_(ctx: Ctx, a: Args) -> Outcome:
    return _view(ctx, "all")


def usage(ctx: Ctx, a: Args) -> Outcome:
    return _view(ctx, "usage", ("usage",))


def reservation(ctx: Ctx, a: Args) -> Outcome:
    return _view(ctx, "reservation", ("reservation",))


def techsupport(ctx: Ctx, a: Args) -> Outcome:
    node = ctx.node
    doc = build(node, ctx.now)
    events = [engine.format_event(node, e) for e in node["events"][-50:]]
    lines = render.all_(doc) + ["", *render.header("Alerts"), *render.alerts(doc)]
    lines += ["", *render.header("Recent Events"), *events]
    return Outcome("\n".join(lines), {**doc, "events": events})
