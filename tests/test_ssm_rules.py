"""The SSM's decisions, tabled on the pure functions (ccxcli/ssm/core/rules.py) at fixed times."""

from __future__ import annotations

import pytest

from ccxcli.clock import DAY
from ccxcli.ssm.core import rules

NOW = 1_900_000_000


@pytest.mark.parametrize(
    ("revoked", "expires", "max_uses", "uses", "state"),
    [
        (False, NOW + 1, None, 99, "active"),
        (False, NOW + 1, 2, 1, "active"),
        (False, NOW + 1, 2, 2, "used up"),
        (False, NOW, None, 0, "expired"),  # expiry is inclusive
        (False, NOW - 1, 2, 2, "expired"),
        (True, NOW + 1, None, 0, "revoked"),
        (True, NOW - 1, 1, 1, "revoked"),
    ],
)
def test_token_state(revoked: bool, expires: int, max_uses: int | None, uses: int, state: str) -> None:
    assert rules.token_state(revoked, expires, max_uses, uses, NOW) == state
    refusal = rules.token_refusal(state, expires, uses)
    assert (refusal is None) == (state == "active")


@pytest.mark.parametrize(
    ("confirmed", "outstanding", "held"),
    [
        ({"a": 20}, [], {"a": 20}),
        ({"a": 20}, [{"a": 1}], {"a": 20}),  # lowered: nothing freed before the confirmation
        ({"a": 20}, [{"a": 30}], {"a": 30}),  # raised: held at once
        ({"a": 20}, [{"a": 5}, {"a": 25, "b": 2}], {"a": 25, "b": 2}),
        ({"a": 20, "b": 3}, [{"a": 1}], {"a": 20, "b": 3}),
    ],
)
def test_held(confirmed: dict[str, int], outstanding: list[dict[str, int]], held: dict[str, int]) -> None:
    assert rules.held(confirmed, outstanding) == held


@pytest.mark.parametrize(
    ("purchased", "reserved", "others", "left"),
    [(40, 0, 0, 40), (40, 20, 0, 20), (40, 20, 15, 5), (40, 20, 30, 0), (0, 0, 5, 0)],
)
def test_left_to_onprem(purchased: int, reserved: int, others: int, left: int) -> None:
    pool = {"a": {"purchased": purchased, "reserved": reserved, "used": 0}}
    assert rules.left_to_onprem(pool, {"a": others}) == {"a": left}


@pytest.mark.parametrize(
    ("last", "seq", "ok"), [(0, 1, True), (3, 4, True), (3, 3, False), (3, 2, False), (0, "1", False), (0, True, False)]
)
def test_sync_order(last: int, seq: object, ok: bool) -> None:
    assert rules.sync_in_order(last, seq) is ok


@pytest.mark.parametrize(
    ("age", "alert"),
    [
        (0, None),
        (30 * DAY, None),
        (30 * DAY + 1, "Failed to Renew"),
        (90 * DAY, "Failed to Renew"),
        (90 * DAY + 1, "Failed to Connect"),
    ],
)
def test_contact_alert(age: int, alert: str | None) -> None:
    assert rules.contact_alert(NOW - age, NOW) == alert


def test_diff_and_add() -> None:
    assert rules.diff({"a": 3}, {"a": 5, "b": 1}) == {"a": -2, "b": -1}
    assert rules.add_counts({"a": 1}, {"a": 2, "b": 3}) == {"a": 3, "b": 3}


def test_a_registration_token_never_begins_like_an_option() -> None:
    """One token in 32 began with '-' or '_': `register idtoken --5xJU…` read it as an option."""
    from ccxcli.ssm.core.smart import new_token

    tokens = [new_token() for _ in range(2000)]
    assert all(t[0].isalnum() and len(t) == 64 for t in tokens)
    assert len(set(tokens)) == len(tokens)
