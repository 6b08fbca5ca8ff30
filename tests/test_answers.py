"""The SSM's answers are checked before a node applies them (`protocol/answers.py`)."""

from __future__ import annotations

import pytest

from ccxcli.core import shape
from ccxcli.errors import CommError
from ccxcli.protocol import answers

GOOD = {"smart_account": "Demo", "virtual_account": "Default", "instance": 3, "export": False, "certificate": "c"}


def test_a_registration_answer_is_copied_key_by_key() -> None:
    info = answers.registered(dict(GOOD), "ssm")
    assert info == GOOD
    node_reg = {"status": "REGISTERED", **info, "ssm": "ssm"}
    assert shape.conforms(shape.NODE["reg"], node_reg)  # what the node keeps still loads


@pytest.mark.parametrize(
    "bad",
    [
        None,
        [],
        "registered",
        {**GOOD, "status": "UNREGISTERED"},  # an extra key would land in the node's state
        {**GOOD, "instance": "3"},
        {**GOOD, "instance": -1},
        {**GOOD, "export": 1},
        {k: v for k, v in GOOD.items() if k != "certificate"},
    ],
)
def test_a_malformed_registration_answer_is_a_failed_exchange(bad: object) -> None:
    with pytest.raises(CommError, match="not an SSM answer; nothing was applied"):
        answers.registered(bad, "https://x.example/SmartTransport")


def test_report_and_version_answers() -> None:
    assert answers.reported({"version": 4, "deficit": {"flex-premium": 2}}, "s") == {
        "version": 4,
        "deficit": {"flex-premium": 2},
    }
    assert answers.reported({"version": None}, "s") == {"version": None}
    for bad in ({"deficit": {}}, {"version": 1, "deficit": {"nope": 1}}, {"version": True}, {"version": 1, "x": 2}):
        with pytest.raises(CommError):
            answers.reported(bad, "s")
    assert answers.version(7, "s") == 7 and answers.version(None, "s") is None
    with pytest.raises(CommError):
        answers.version("7", "s")
