"""Every failure kind converges (issue 32, item 2): a node whose SSM could not be reached,
whatever the reason, and however the failure ends, is back in agreement with it once the cause
is gone: a failed usage report is sent again and the SSM learns the usage, a failed
authorization renewal is retried and succeeds, a refused registration changed nothing and
goes through. Each kind is made and cleared the way an administrator meets it in the lab
(a served SSM down or killed mid-request: `test_trust_served.py`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Lab

Step = Callable[[Lab, Path], None]


def _proxy_password(lab: Lab, tmp: Path, password: str) -> None:
    (tmp / "pw").write_text(password + "\n")
    lab.ok("sim", "proxy", "remove", "proxy.lab:3128") if "proxy.lab" in lab.ok("sim", "proxy", "list").out else None
    lab.ok("sim", "proxy", "add", "proxy.lab:3128", "--user", "alice", "--password-file", str(tmp / "pw"))


def _trust_the_new_key(lab: Lab, tmp: Path) -> None:
    (tmp / "new.pem").write_text(lab.ssm_ok("key", "export").out)
    lab.ok("sim", "ssm", "trust", str(tmp / "new.pem"))


# kind: (what the node's setup needs before it registers, how the failure starts, how it ends)
KINDS: dict[str, tuple[Step | None, Step, Step]] = {
    "maintenance": (
        None,
        lambda lab, _: lab.ssm_ok("maintenance", "on") and None,
        lambda lab, _: lab.ssm_ok("maintenance", "off") and None,
    ),
    "network-down": (
        None,
        lambda lab, _: lab.ok("sim", "network", "down") and None,
        lambda lab, _: lab.ok("sim", "network", "up") and None,
    ),
    "ssm-error": (
        None,
        lambda lab, _: lab.ok("sim", "fault", "ssm-error", "on") and None,
        lambda lab, _: lab.ok("sim", "fault", "ssm-error", "off") and None,
    ),
    "clock-skew": (
        None,
        lambda lab, _: lab.ok("sim", "fault", "clock-skew", "2h") and None,
        lambda lab, _: lab.ok("sim", "fault", "clock-skew", "0") and None,
    ),
    "untrusted-key": (None, lambda lab, _: lab.ssm_ok("key", "roll") and None, _trust_the_new_key),
    "proxy-407": (
        lambda lab, tmp: (
            (
                _proxy_password(lab, tmp, "right-password"),
                lab.ok(
                    "license",
                    "smart",
                    "transport",
                    "proxy",
                    "proxy.lab",
                    "3128",
                    "--user",
                    "alice",
                    "--password-file",
                    str(tmp / "pw"),
                ),
            )
            and None
        ),
        lambda lab, tmp: _proxy_password(lab, tmp, "changed-password"),
        lambda lab, tmp: _proxy_password(lab, tmp, "right-password"),
    ),
}


def _ready(lab: Lab, tmp: Path, kind: str) -> None:
    setup = KINDS[kind][0]
    lab.ok("show", "license", "UDI")
    if setup is not None:
        setup(lab, tmp)


def _alerts(lab: Lab) -> set[str]:
    return {a["key"] for a in lab.status()["alerts"]}


def _instance_usage(lab: Lab) -> dict[str, int]:
    sn = lab.status()["udi"]["sn"]
    rows = lab.ssm_ok("--json", "instance", "list").json["instances"]
    (row,) = [r for r in rows if r["sn"] == sn]
    return row["usage"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_failed_report_is_sent_again_once_the_cause_is_gone(lab: Lab, tmp_path: Path, kind: str) -> None:
    _ready(lab, tmp_path, kind)
    lab.register()
    lab.ok("sim", "agent", "login", "--count", "3")
    lab.ok("sim", "clock", "advance", "1h")
    KINDS[kind][1](lab, tmp_path)
    lab.ok("sim", "agent", "login", "--count", "5")
    assert "not delivered" in lab.ok("sim", "clock", "advance", "15m").out
    assert "reporting" in _alerts(lab)
    KINDS[kind][2](lab, tmp_path)
    out = lab.ok("sim", "clock", "advance", "30m").out
    assert "delivered" in out and "not delivered" not in out, out
    assert _instance_usage(lab).get("flex-standard") == 8 and "reporting" not in _alerts(lab)  # 3 + 5 agents


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_failed_authorization_renewal_is_retried_once_the_cause_is_gone(lab: Lab, tmp_path: Path, kind: str) -> None:
    _ready(lab, tmp_path, kind)
    lab.register()
    KINDS[kind][1](lab, tmp_path)
    lab.ok("sim", "clock", "advance", "31d")  # the 30-day renewal fails
    assert "renew-auth" in _alerts(lab)
    KINDS[kind][2](lab, tmp_path)
    lab.ok("sim", "clock", "advance", "2d")  # retried daily
    auth = lab.status()["authorization"]
    assert auth["last_communication_ok"] and "renew-auth" not in _alerts(lab), auth


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_registration_refused_by_a_failure_changes_nothing_and_goes_through_after(
    lab: Lab, tmp_path: Path, kind: str
) -> None:
    _ready(lab, tmp_path, kind)
    token = lab.ssm_ok("token", "create").out.strip()
    KINDS[kind][1](lab, tmp_path)
    r = lab.ccx("license", "smart", "register", "idtoken", token)
    assert r.code == 4 and "Traceback" not in r.err, r
    assert lab.status()["registration"]["status"] == "UNREGISTERED"
    assert lab.ssm_ok("--json", "instance", "list").json["instances"] == []
    KINDS[kind][2](lab, tmp_path)
    lab.ok("license", "smart", "register", "idtoken", token)
    assert lab.status()["registration"]["status"] == "REGISTERED"
