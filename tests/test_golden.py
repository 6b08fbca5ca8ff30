"""Golden texts of `show license status|summary|usage|all|reservation` per state, built
through the pure core at fixed times. CCX_UPDATE_GOLDEN=1 rewrites the files (then read
the diff before committing it)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ccxcli import render
from ccxcli.clock import DAY
from ccxcli.codes import udi_text
from ccxcli.core import engine
from ccxcli.core import reservation as R
from ccxcli.core.consumption import deficit
from ccxcli.core.status import build

GOLDEN = Path(__file__).parent / "golden"
T0 = 1_800_000_000 - 1_800_000_000 % 900
UUID = "0123456789abcdef0123456789abcdef"
INFO = {"smart_account": "Demo Smart Account", "virtual_account": "DEFAULT", "instance": 1, "ssm": "cloud"}


def node() -> dict[str, Any]:
    n = engine.new_node("uccx", UUID, T0)
    n["time"] = T0
    return n


def login(n: dict[str, Any], t: int, std: int, prem: int = 0) -> None:
    n["agents"] = {f"s{i}": {"skills": ["voice"], "supervisor": False, "in": True} for i in range(std)}
    n["agents"].update({f"p{i}": {"skills": ["email"], "supervisor": False, "in": True} for i in range(prem)})
    engine.usage_changed(n, t)


def reports(n: dict[str, Any], t: int, k: int, entitled: dict[str, int]) -> int:
    for _ in range(k):
        t += 900
        sent = engine.to_report(n)
        engine.apply_report(n, t, sent, {"deficit": deficit(sent, entitled), "version": 1})
    return t


def eval_mode() -> tuple[dict[str, Any], int]:
    return node(), T0 + 3 * DAY + 3723


def eval_expired() -> tuple[dict[str, Any], int]:
    n = node()
    engine.apply_timer(n, T0 + 90 * DAY, "eval_expiry")
    return n, T0 + 91 * DAY


def authorized() -> tuple[dict[str, Any], int]:
    n = node()
    engine.apply_register(n, T0 + 60, INFO)
    login(n, T0 + 120, 12, 3)
    return n, reports(n, T0, 2, {"flex-standard": 40, "flex-premium": 10})


def overage() -> tuple[dict[str, Any], int]:
    n = node()
    engine.apply_register(n, T0 + 60, INFO)
    login(n, T0 + 120, 60)
    return n, reports(n, T0, 2, {"flex-standard": 40, "flex-premium": 10})


def out_of_compliance() -> tuple[dict[str, Any], int]:
    n = node()
    engine.apply_register(n, T0 + 60, INFO)
    login(n, T0 + 120, 130)
    t = reports(n, T0, 5, {"flex-standard": 90, "flex-premium": 10})
    login(n, t + 1, 90)
    return n, reports(n, t, 1, {"flex-standard": 90, "flex-premium": 10})


def auth_expired_enforced() -> tuple[dict[str, Any], int]:
    n = node()
    engine.apply_register(n, T0 + 60, INFO)
    engine.apply_timer(n, T0 + 60 + 90 * DAY, "auth_expiry")
    engine.apply_timer(n, T0 + 60 + 180 * DAY, "auth_enforce")
    return n, T0 + 181 * DAY


def reservation_in_progress() -> tuple[dict[str, Any], int]:
    n = node()
    R.enable(n, T0 + 60)
    R.request(n, T0 + 120, "CB-ZUCCX:bcdef-AQEjRWeJq83vASNFZ4mrze8-3f", 1, "0101010101010101")
    return n, T0 + 180


def slr_installed() -> tuple[dict[str, Any], int]:
    n, t = reservation_in_progress()
    udi = udi_text(n["sn"], n["uuid"])
    R.install(n, t, "0101010101010101", T0 * 1000, {"flex-standard": 20, "flex-premium": 5}, udi, "0badc0de")
    login(n, t + 60, 20, 5)
    return n, t + 120


STATES: dict[str, Callable[[], tuple[dict[str, Any], int]]] = {
    f.__name__: f
    for f in (eval_mode, eval_expired, authorized, overage, out_of_compliance, auth_expired_enforced,
              reservation_in_progress, slr_installed)
}  # fmt: skip
VIEWS = {
    "status": lambda d: render.status(d),
    "summary": lambda d: render.status(d, short=True) + [""] + render.usage_table(d),
    "usage": render.usage,
    "reservation": render.reservation,
}


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("state", STATES)
def test_golden_text(state: str, view: str) -> None:
    n, now = STATES[state]()
    text = "\n".join(VIEWS[view](build(n, now))) + "\n"
    path = GOLDEN / f"{state}.{view}.txt"
    if os.environ.get("CCX_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_states_are_the_ones_named() -> None:
    expected = {
        "eval_mode": ("UNREGISTERED", "EVAL_MODE"),
        "eval_expired": ("UNREGISTERED", "EVAL_EXPIRED"),
        "authorized": ("REGISTERED", "AUTHORIZED"),
        "overage": ("REGISTERED", "AUTHORIZED"),
        "out_of_compliance": ("REGISTERED", "OUT_OF_COMPLIANCE"),
        "auth_expired_enforced": ("REGISTERED", "AUTH_EXPIRED"),
        "reservation_in_progress": ("RESERVATION_IN_PROGRESS", "EVAL_MODE"),
        "slr_installed": ("REGISTERED_SLR", "AUTHORIZED_RESERVED"),
    }
    for name, f in STATES.items():
        n, now = f()
        d = build(n, now)
        assert (d["registration"]["status"], d["authorization"]["status"]) == expected[name]
