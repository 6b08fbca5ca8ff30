"""The licensing states the golden texts and the parser tests render, built through the
pure core at fixed times."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ccxcli.clock import DAY
from ccxcli.core import engine
from ccxcli.core import reservation as R
from ccxcli.core.consumption import deficit
from ccxcli.core.status import build
from ccxcli.core.udi import udi_text

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
    for f in (
        eval_mode,
        eval_expired,
        authorized,
        overage,
        out_of_compliance,
        auth_expired_enforced,
        reservation_in_progress,
        slr_installed,
    )
}


def build_doc(state: str) -> dict[str, Any]:
    n, now = STATES[state]()
    return build(n, now)
