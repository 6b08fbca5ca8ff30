"""The CLI as UCCX documents it (issue 24, item 6): the host name's privacy the right way
round, the Classic Licensing commands, `show license tech support`, which reference each
command follows, and the health checks public UCCX scripts send before licensing work."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Lab

from ccxcli.cli import commands


def test_hostname_enable_is_privacy_on(lab: Lab) -> None:
    """UCCX 12.5(1) SU3: 'license smart hostname enable' enables the privacy of UCCX at
    registration: the SSM does not get the host name; 'disable' sends it (the default)."""
    out = lab.ok("license", "smart", "hostname", "enable").out
    assert "privacy enabled" in out and "not sent" in out
    assert lab.ok("--json", "show", "license", "status").json["send_hostname"] is False
    lab.register()
    [inst] = lab.ssm_ok("--json", "instance", "list").json["instances"]
    assert inst["hostname"] == ""  # kept private
    lab.ok("--yes", "license", "smart", "deregister")
    lab.ok("license", "smart", "hostname", "disable")
    lab.register()
    [inst] = lab.ssm_ok("--json", "instance", "list").json["instances"]
    assert inst["hostname"] == "uccx"
    assert "Host name privacy enabled" in lab.ok("appadmin", "events").out


def test_classic_licensing_commands(lab: Lab, tmp_path: Path) -> None:
    lab.ok("sim", "node", "create", "old", "--classic", "--type", "perpetual-premium")
    old = ["--node", "old"]
    assert lab.ok(*old, "utils", "uccx", "list", "license").out == "No license files are uploaded.\n"
    assert "No licenses are configured" in lab.ok(*old, "show", "uccx", "license").out
    mac = lab.ok(*old, "--json", "appadmin", "license", "classic", "show").json["license_mac"]
    lab.ssm_ok("pak", "add", "PAK7654321", "--license", "premium-seat=30", "--license", "ivr-port=12")
    lic = str(tmp_path / "classic.lic")
    lab.ssm_ok(
        "pak",
        "fulfil",
        "PAK7654321",
        "--license-mac",
        mac,
        "--license",
        "premium-seat=20",
        "--license",
        "ivr-port=12",
        "--out",
        lic,
    )
    lab.ok(*old, "appadmin", "license", "classic", "install", lic)
    out = lab.ok(*old, "show", "uccx", "license").out
    assert out.startswith("Configured Licenses:\n") and "Package: Cisco Unified CCX Premium" in out
    assert "Cisco Unified CCX Premium Seat(s): 20" in out and "Total IVR Port(s): 12" in out
    [name] = lab.ok(*old, "--json", "utils", "uccx", "list", "license").json["files"]
    assert (
        name.startswith("UCCX")
        and name.endswith(".lic")
        and name in lab.ok(*old, "utils", "uccx", "list", "license").out
    )
    lab.refused([*old, "--yes", "utils", "uccx", "delete", "license", "other.lic"], f"lists {name}")
    lab.refused(["--yes", "utils", "uccx", "delete", "license", name], "Smart Licensing")  # the smart node
    r = lab.ccx(*old, "utils", "uccx", "delete", "license", name, stdin="n\n")  # asked first: no
    assert lab.ok(*old, "--json", "utils", "uccx", "list", "license").json["files"] == [name], r
    done = lab.ok(*old, "--yes", "--json", "utils", "uccx", "delete", "license", name).json
    assert done["licenses"] == {"ivr-port": 12, "premium-seat": 20}
    assert lab.ok(*old, "--json", "utils", "uccx", "list", "license").json["files"] == []
    assert "deleted" in lab.ok(*old, "appadmin", "events").out
    assert "Smart Licensing" in lab.ok("show", "uccx", "license").out  # a smart node points elsewhere


def test_show_license_tech_support_is_techsupport(lab: Lab) -> None:
    assert lab.ok("show", "license", "tech", "support").out == lab.ok("show", "license", "techsupport").out


def test_help_says_which_reference_each_command_follows(lab: Lab) -> None:
    listing = lab.ok("help").out
    assert "show license status                             Show Smart Licensing status [VOS]" in listing
    assert "license smart reservation request" in listing and "[VOS]" not in next(
        line for line in listing.splitlines() if line.startswith("license smart reservation request")
    )
    assert "[VOS]: a licensing command that follows the CUCM/VOS CLI reference" in listing
    one = lab.ok("--json", "help", "license", "smart", "reservation", "install").json
    assert one["reference"] == "uccx"
    assert "Unified CCX Administration and Operations Guide" in lab.ok("help", "license", "smart", "hostname").out
    assert lab.ok("--json", "help", "license", "smart", "register", "idtoken").json["reference"] == "vos"
    assert lab.ok("--json", "help", "sim", "clock", "show").json["reference"] is None
    assert {commands.reference(c) for c in commands.COMMANDS} == {"uccx", "vos", None}


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["show", "hardware"], "HW Platform       : VMware Virtual Machine"),
        (["show", "status"], "Host Name          : uccx"),
        (["utils", "dbreplication", "runtimestate"], "(2) Setup Completed"),
        (["utils", "core", "active", "list"], "No core files found"),
        (["utils", "disaster_recovery", "status", "backup"], "Status: SUCCESS"),
        (["utils", "disaster_recovery", "status", "restore"], "No restore"),
        (["show", "uccx", "jtapi_client", "version"], "JTAPI Client Version : "),
        (["utils", "service", "list"], "Cisco Unified CCX Engine"),
        (["utils", "ntp", "status"], "synchronised to NTP server"),
        (["show", "network", "cluster"], "uccx"),
    ],
)
def test_health_checks_answer(lab: Lab, argv: list[str], words: str) -> None:
    r = lab.ok(*argv)
    assert words in r.out and "Invalid command" not in r.out + r.err
    assert lab.ok("--json", *argv).json  # and a JSON document for scripts
