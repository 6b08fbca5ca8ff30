"""Golden texts of `show license status|summary|usage|all|reservation` per state, built
through the pure core at fixed times. CCX_UPDATE_GOLDEN=1 rewrites the files (then read
the diff before committing it)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from golden_states import STATES, T0, login, node

from ccxcli.cli import render
from ccxcli.cli.handlers import system
from ccxcli.clock import DAY
from ccxcli.core import identity
from ccxcli.core.status import build

GOLDEN = Path(__file__).parent / "golden"


VIEWS = render.VIEWS


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


# --- the first commands of a VOS session (shapes: public VOS CLI references and TAC transcripts) ---

SYSTEM_VIEWS: dict[str, Callable[[dict[str, Any], int], str]] = {
    # `show myself`: VOS CLI reference, "show myself" example
    "myself": lambda n, now: system.myself(n)[0],
    # `show status`: VOS CLI reference, "show status" example (host, date, versions, uptime, CPU, memory, disks)
    "status": lambda n, now: system.status(n, now)[0],
    # `show network eth0 detail`: VOS CLI reference, "show network eth0" example
    "eth0": lambda n, now: system.eth0(n, True)[0],
    # `utils service list`: VOS CLI references (VVB, CUCM TAC documents): platform services, then
    # "Service Manager is running / Getting list of all services / >> Return code = 0", then Name[STATE]
    "services": lambda n, now: system.services(n, now)[0],
    # `utils ntp status`: VOS CLI reference, "utils ntp status" example
    "ntp": lambda n, now: system.ntp(n, now)[0],
}


@pytest.mark.parametrize("view", SYSTEM_VIEWS)
def test_golden_system_text(view: str) -> None:
    n = node()
    text = SYSTEM_VIEWS[view](n, T0 + 3 * DAY + 3723) + "\n"
    path = GOLDEN / f"system.{view}.txt"
    if os.environ.get("CCX_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_a_restart_shows_services_starting_for_five_virtual_minutes() -> None:
    n = node()
    login(n, T0 + 60, 3)
    assert identity.restart(n, T0 + 120) == 3
    assert "[STARTING]" in system.services(n, T0 + 120 + identity.RESTART - 1)[0]
    assert "[STARTING]" not in system.services(n, T0 + 120 + identity.RESTART)[0]
    assert not any(a["in"] for a in n["agents"].values())
