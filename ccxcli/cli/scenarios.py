"""Scenario presets (`sim scenario list|load`): the moments of a license's life people
rehearse, each reached by the real rules. A scenario is built in a temporary lab by running
its steps, the node's commands through the dispatcher as a script would and the SSM's side
through the SSM core as `ccx-ssm` would, then taken as a snapshot and loaded into the lab
(so a lab is replaced whole, or not at all). Nothing is set by hand."""

from __future__ import annotations

import io
import os
import shlex
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from ccxcli import clock
from ccxcli.cli.dispatch import execute
from ccxcli.errors import RuleError, UsageError
from ccxcli.runtime import Env, Runtime, in_force
from ccxcli.session import adoption
from ccxcli.session.context import Ctx, Shared, open_lab, run
from ccxcli.store import snapshots
from ccxcli.store.files import private_dir
from ccxcli.store.lab import DEFAULT_NODE, DEFAULT_SSM

Values = dict[str, str]
Step = str | Callable[[Ctx, Values], None]  # a node command line ({name} filled from values), or an SSM action


def _token(ctx: Ctx, v: Values) -> None:
    from ccxcli.ssm.core import smart

    v["token"] = smart.token_create(ctx.ssm(DEFAULT_SSM), None, ctx.now)


def _authorize(counts: dict[str, int], key: str) -> Callable[[Ctx, Values], None]:
    def step(ctx: Ctx, v: Values) -> None:
        from ccxcli.ssm.core import reserve

        v[key] = reserve.authorize(ctx.ssm(DEFAULT_SSM), None, v["request_code"], counts, ctx.now)

    return step


def _update(counts: dict[str, int], key: str) -> Callable[[Ctx, Values], None]:
    def step(ctx: Ctx, v: Values) -> None:
        from ccxcli.ssm.core import reserve

        v[key] = reserve.update(ctx.ssm(DEFAULT_SSM), ctx.node["sn"], counts, ctx.now)

    return step


ONPREM = "onprem"


def _onprem_synchronized(ctx: Ctx, v: Values) -> None:
    """A disconnected SSM On-Prem linked to the cloud SSM, synchronized once by files."""
    from ccxcli.ssm.core import sync
    from ccxcli.ssm.core.db import SsmDb

    cloud = ctx.ssm(DEFAULT_SSM)
    onprem = SsmDb.create(
        ctx.lab.ssm_dir(ONPREM), "Demo Smart Account", ctx.now, on_prem=True, hostname="ssm-onprem.example.com"
    )
    try:
        sync.link(onprem, cloud, ONPREM, DEFAULT_SSM, "disconnected", [], ctx.now)
        answer = sync.handle_request(cloud, sync.make_request(onprem, ctx.now), ctx.now)
        sync.apply_answer(onprem, answer, ctx.now)
    finally:
        onprem.close()


def _bought_on_cisco(ctx: Ctx, v: Values) -> None:
    ctx.ssm(DEFAULT_SSM).license_add(None, "flex-standard", 20, ctx.now)


REGISTER: list[Step] = [_token, "license smart register idtoken {token}"]
SLR: list[Step] = [
    "license smart reservation enable",
    "license smart reservation request specific",
    _authorize({"flex-standard": 20, "flex-premium": 5}, "auth"),
    "license smart reservation install {auth}",
]

SCENARIOS: dict[str, tuple[str, list[Step]]] = {
    "eval-day-85": (
        "Evaluation mode on day 85 of 90, 10 agents logged in: 5 days before enforcement.",
        ["sim agent login --count 10", "sim clock advance 85d"],
    ),
    "ooc-report-4": (
        "Registered, 60 agents on 50 licenses: 4 over-entitlement reports sent; the 5th, in 15 "
        "minutes, makes it Out of Compliance.",
        [*REGISTER, "sim agent login --count 60", "sim clock advance 1h"],
    ),
    "auth-expiring": (
        "Registered, then cut off from the SSM for 88 days: the authorization expires in 2 days.",
        [*REGISTER, "sim agent login --count 10", "sim network down", "sim clock advance 88d"],
    ),
    "registration-expiring": (
        "Registered, then cut off for 360 days: the authorization has expired and the "
        "registration (ID certificate) expires in 5 days.",
        [*REGISTER, "sim network down", "sim clock advance 360d"],
    ),
    "slr-update-unconfirmed": (
        "SLR installed (20 standard, 5 premium), then an update to 25 standard installed "
        "on the node: the SSM waits for its Confirmation Code.",
        [
            *SLR,
            _update({"flex-standard": 25, "flex-premium": 5}, "update"),
            "license smart reservation install {update}",
        ],
    ),
    "onprem-sync-overdue": (
        "A disconnected SSM On-Prem 'onprem', last synchronized 61 days ago: 29 days before the smart "
        "account removes it (alert: Upcoming Satellite Sync Deadline (30 Day)); 20 licenses bought on "
        "Cisco SSM since have not reached it.",
        [_onprem_synchronized, "sim clock advance 1d", _bought_on_cisco, "sim clock advance 60d"],
    ),
}


def _ssm_side(sub: Runtime, step: Callable[[Ctx, Values], None], values: Values) -> None:
    """An SSM action of a scenario, in the temporary lab (committed as any command is)."""
    run(sub, lambda ctx: step(ctx, values))


def described() -> list[dict[str, str]]:
    return [{"name": name, "description": text} for name, (text, _) in SCENARIOS.items()]


def build(rt: Runtime, name: str) -> str:
    """Run the scenario's steps in a temporary lab inside the lab home; its snapshot folder."""
    tmp = build_lab(rt, name)
    with open_lab(tmp) as opened:
        snapshots.save(opened, "scenario", clock.wall_now())
    return os.path.join(tmp, snapshots.FOLDER, "scenario")


def span(name: str) -> int:
    """How long the scenario's steps move its clock (its `sim clock advance` steps)."""
    moves = [s for s in SCENARIOS[name][1] if isinstance(s, str) and s.startswith("sim clock advance ")]
    return sum(clock.parse_duration(s.split()[-1]) for s in moves)


def for_one_node(name: str) -> None:
    """Refuse a scenario that cannot be loaded into one node: one with an SSM of its own."""
    if any(step is _onprem_synchronized for step in SCENARIOS[name][1]):
        raise UsageError(f"Scenario '{name}' brings an SSM On-Prem of its own: load it into a whole lab (--replace).")


def build_lab(rt: Runtime, name: str, end: int | None = None, keys_from: Path | None = None) -> str:
    """Run the scenario's steps in a temporary lab inside the lab home; its folder. With `end`,
    its clock starts early enough to end then; with `keys_from`, its SSM signs with the key of
    that SSM folder (the lab's own, which will adopt what it issued)."""
    if name not in SCENARIOS:
        raise UsageError(f"No scenario '{name[:40]}'. Known: {', '.join(SCENARIOS)} ('sim scenario list').")
    private_dir(rt.home)
    tmp = tempfile.mkdtemp(prefix=adoption.PREFIX, dir=rt.home)
    environ = dict(rt.env.environ)
    if end is not None:
        environ["CCX_LAB_START"] = clock.iso(end - span(name))
    sub = Runtime(tmp, DEFAULT_NODE, yes=True, env=Env(io.StringIO(), io.StringIO(), io.StringIO(), environ))
    with in_force(sub.env.tunables):  # the temporary lab's own start (CCX_LAB_START), the rest as the caller's
        return _run_steps(sub, name, tmp, keys_from)


def _run_steps(sub: Runtime, name: str, tmp: str, keys_from: Path | None) -> str:
    steps = SCENARIOS[name][1]
    shared = Shared(sub)
    values: Values = {}
    try:
        shared.open()
        if keys_from is not None:
            for key in ("key.pem", "public.pem"):
                shutil.copyfile(keys_from / key, Path(tmp) / "ssm" / DEFAULT_SSM / key)
        for step in steps:
            if isinstance(step, str):
                tokens = shlex.split(step.format(**values))
                try:
                    result, _ = execute(sub, tokens)
                except UsageError as e:
                    raise RuleError(f"Scenario '{name}' could not be built at '{tokens[0]} …': {e.message}") from None
                if isinstance(result.data, dict):
                    values.update({k: v for k, v in result.data.items() if isinstance(v, str)})
            else:
                _ssm_side(sub, step, values)
        shared.close()
        return tmp
    except BaseException:
        shared.close()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
