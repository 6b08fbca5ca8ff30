"""The SSM's email notifications (issue 24, item 5): CSSM's preferences (addresses, daily
summary, status notifications) delivered to a real SMTP server (aiosmtpd on 127.0.0.1,
started and stopped by the tests), or as .eml files in the SSM folder's outbox when no
server is set; a server that is down fails nothing and gets the messages later."""

from __future__ import annotations

import email
import email.policy
import socket
import time
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from conftest import Lab


class Inbox:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 keeping what it receives."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.messages: list[Message] = []
        self.controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's name
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(msg)
        return "250 OK"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]

    def wait_for(self, words: str, seconds: float = 20) -> Message:
        end = time.time() + seconds
        while time.time() < end:
            for m in self.messages:
                if words in str(m["Subject"]):
                    return m
            time.sleep(0.05)
        raise AssertionError(f"no message '{words}' in {self.subjects()}")


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    box = Inbox()
    box.start()
    yield box
    box.stop()


def shortage(lab: Lab) -> None:
    """A registered node with more agents logged in than the virtual account holds."""
    lab.register()
    lab.ok("sim", "agent", "login", "--count", "60")
    lab.ok("sim", "clock", "advance", "15m")  # the next usage report: short of 10


def test_status_notifications_and_the_daily_summary_over_smtp(lab: Lab, inbox: Inbox) -> None:
    lab.ssm_ok(
        "notify",
        "set",
        "--email",
        "lic@example.com",
        "--email",
        "noc@example.com",
        "--daily-summary",
        "on",
        "--smtp",
        f"127.0.0.1:{inbox.port}",
    )
    assert inbox.messages == []  # setting the preferences mails nothing about the past
    shortage(lab)
    raised = inbox.wait_for("Alert: Insufficient Licenses in virtual account DEFAULT", 5)
    assert raised["To"] == "lic@example.com, noc@example.com" and raised["X-Envelope-To"] == raised["To"]
    assert raised["From"] == "do-not-reply@demo-smart-account.example.com" and raised["Message-ID"]
    body = raised.get_payload(decode=True).decode()
    assert "Severity: Major" in body and "flex-standard" in body and "Smart Account: Demo Smart Account" in body
    assert raised["X-Ccxcli-Lab-Time"]  # the lab's time beside the wall clock's Date
    lab.ok("sim", "agent", "logout", "--all")
    lab.ok("sim", "clock", "advance", "8h")  # the next report: sufficient again
    inbox.wait_for("Alert cleared: Insufficient Licenses in virtual account DEFAULT", 5)
    assert not [s for s in inbox.subjects() if "Daily Summary" in s]  # not before the SSM's next day
    lab.ok("sim", "clock", "advance", "1d")
    summary = inbox.wait_for("Daily Summary for Smart Account Demo Smart Account", 5)
    assert "Alerts: 0" in summary.get_payload(decode=True).decode()
    count = len(inbox.messages)
    lab.ok("show", "license", "status")  # nothing new: nothing sent
    lab.ssm_ok("license", "list")
    assert len(inbox.messages) == count


def test_a_server_that_is_down_fails_nothing_and_gets_the_messages_later(lab: Lab, inbox: Inbox) -> None:
    lab.ssm_ok("notify", "set", "--email", "lic@example.com", "--smtp", f"127.0.0.1:{inbox.port}")
    inbox.stop()
    shortage(lab)  # the commands succeed with the server down
    st = lab.ssm_ok("--json", "notify", "show").json
    assert st["waiting"] == 1 and "ConnectionRefusedError" in st["recent"][0]["error"]
    assert "waiting" in lab.ssm_ok("notify", "show").out
    inbox.start()
    lab.ssm_ok("license", "list")  # any later command delivers what waits
    inbox.wait_for("Alert: Insufficient Licenses", 5)
    assert lab.ssm_ok("--json", "notify", "show").json["waiting"] == 0


def test_without_a_server_the_messages_are_eml_files_in_the_outbox(lab: Lab) -> None:
    lab.ssm_ok("notify", "set", "--email", "lic@example.com", "--status", "on")
    shortage(lab)
    outbox = lab.home / "ssm" / "cloud" / "outbox"
    [eml] = list(outbox.glob("*.eml"))
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert "Insufficient Licenses" in str(msg["Subject"]) and msg["To"] == "lic@example.com"
    assert oct(eml.stat().st_mode & 0o777) == "0o600"
    lab.ssm_ok("notify", "set", "--status", "off")
    lab.ok("sim", "agent", "logout", "--all")
    lab.ok("sim", "clock", "advance", "8h")
    assert len(list(outbox.glob("*.eml"))) == 1  # status notifications off: the clearing is not mailed


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["notify", "set", "--email", "not-an-address"], "Not an email address"),
        (["notify", "set", "--smtp", "bad host:25"], "Invalid SMTP server"),
        (["notify", "set", "--smtp", "mail:99999"], "Invalid SMTP server"),
        (["notify", "set", "--daily-summary", "maybe"], "on or off"),
        (["notify", "set"], "Give at least one of"),
    ],
)
def test_bad_preferences_are_refused_and_change_nothing(lab: Lab, argv: list[str], words: str) -> None:
    lab.ssm_ok("notify", "show")
    lab.refused(argv, words, ssm=True, code=2)


def test_the_served_ssm_mails_after_a_change(tmp_path: Path, inbox: Inbox) -> None:
    import json

    from served import Served, ccx, init, ssm

    folder = tmp_path / "farm"
    pem = init(tmp_path, folder)
    assert (
        ssm(
            tmp_path,
            "--ssm",
            str(folder),
            "notify",
            "set",
            "--email",
            "farm@example.com",
            "--smtp",
            f"127.0.0.1:{inbox.port}",
        ).returncode
        == 0
    )
    server = Served(tmp_path, folder, password="farm-secret")
    try:
        node = tmp_path / "node"
        ccx(node, "sim", "ssm", "trust", str(pem))
        ccx(node, "license", "smart", "transport", "gateway", server.gateway)
        token = ssm(tmp_path, "--ssm", str(folder), "token", "create").stdout.strip()
        assert ccx(node, "license", "smart", "register", "idtoken", token).returncode == 0
        assert ccx(node, "sim", "agent", "login", "--count", "60").returncode == 0
        assert ccx(node, "sim", "clock", "advance", "15m").returncode == 0  # reported over HTTPS
        inbox.wait_for("Alert: Insufficient Licenses in virtual account DEFAULT", 20)
        st = json.loads(ssm(tmp_path, "--ssm", str(folder), "--json", "notify", "show").stdout)
        assert st["waiting"] == 0 and st["recent"][0]["sent"]
    finally:
        server.stop()
