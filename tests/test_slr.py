"""Specific License Reservation end to end, every refusal with the node and the SSM pool
unchanged, and a property test: no mutated code is ever accepted."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest
from conftest import authorize_args
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccxcli.core import engine
from ccxcli.core import reservation as R
from ccxcli.core.udi import udi_text
from ccxcli.errors import RuleError
from ccxcli.protocol import codes

T = "license smart reservation".split()


def request(lab, node: str | None = None) -> str:  # type: ignore[no-untyped-def]
    extra = ["--node", node] if node else []
    lab.ok(*extra, *T, "enable")
    return lab.ok(*extra, "--json", *T, "request", "specific").json["request_code"]  # type: ignore[no-any-return]


def authorize(lab, req: str, std: int = 20, prem: int = 5, ssm: list[str] | None = None) -> str:  # type: ignore[no-untyped-def]
    return lab.ssm_ok(*(ssm or []), *authorize_args(req, std, prem)).out.strip()


def installed(lab) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    req = request(lab)
    code = authorize(lab, req)
    lab.ok(*T, "install", code)
    return req, code


def refused(lab, argv: list[str], words: str, ssm: bool = False, code: int = 1) -> None:  # type: ignore[no-untyped-def]
    before = lab.snapshot()
    r = (lab.ssm if ssm else lab.ccx)(*argv)
    assert r.code == code and words in r.err and "Traceback" not in r.err, r
    assert lab.snapshot() == before


def sn_of(lab) -> str:  # type: ignore[no-untyped-def]
    return lab.status()["udi"]["sn"]  # type: ignore[no-any-return]


def test_full_flow_and_outputs(lab) -> None:  # type: ignore[no-untyped-def]
    req = request(lab)
    sn = sn_of(lab)
    assert re.fullmatch(rf"CB-ZUCCX:{sn}-[A-Za-z0-9_-]+-[0-9a-f]{{2}}", req)
    assert lab.status()["registration"]["status"] == "RESERVATION_IN_PROGRESS"
    assert lab.ok(*T, "request").out.strip().splitlines()[-1] == req  # the pending request is shown again, unchanged
    code = authorize(lab, req)
    assert code.startswith("<specificPLR><authorizationCode><flag>A</flag><version>C</version><piid>")
    assert lab.pool()["flex-standard"]["reserved"] == 20  # reserved licenses leave the pool at once
    lab.ok(*T, "install", code)
    st = lab.status()
    assert st["registration"]["status"] == "REGISTERED_SLR"
    assert st["authorization"]["status"] == "AUTHORIZED_RESERVED"
    assert st["reservation"]["reserved"] == {"flex-standard": 20, "flex-premium": 5}
    text = lab.ok("show", "license", "status").out
    assert "License Reservation is ENABLED" in text
    assert "  Status: REGISTERED - SPECIFIC LICENSE RESERVATION" in text
    assert "  Status: AUTHORIZED - RESERVED on " in text
    assert "flex-standard: 20" in lab.ok("show", "license", "reservation").out
    assert "Reserved: 20" in lab.ok("show", "license", "usage").out
    # no evaluation countdown, no reports under SLR
    lab.ok("sim", "clock", "advance", "100d")
    st = lab.status()
    assert st["evaluation"]["remaining_seconds"] == 90 * 86400 - 0 and not st["enforcement"]["active"]
    assert st["compliance"]["last_report"] is None
    # updates print the confirmation code; the SSM waits for it
    lab.ok("sim", "agent", "login", "--count", "25")  # standard agents may use the unused premium
    assert lab.ccx("sim", "agent", "login", "--count", "1").code == 1
    new = lab.ssm_ok(
        "reservation", "update", sn, "--license", "flex-standard=30", "--license", "flex-premium=5"
    ).out.strip()
    assert "Authorization Pending" in lab.ssm_ok("alerts").out
    conf = lab.ok(*T, "install", new).out.strip().splitlines()[-1]
    assert re.fullmatch(r"[0-9a-f]{8}", conf)
    r = lab.ssm("reservation", "confirm", sn, "00000000")  # refused, and logged on the SSM
    assert r.code == 1 and "does not match" in r.err
    assert "Wrong Confirmation Code" in lab.ssm_ok("events").out
    lab.ssm_ok("reservation", "confirm", sn, conf)
    lab.ok("sim", "agent", "login", "--count", "10")
    assert lab.ccx("sim", "agent", "login", "--count", "1").code == 1
    assert lab.ccx("--yes", "license", "smart", "deregister").code == 1
    refused(lab, [*T, "disable"], "return it first")
    refused(lab, [*T, "cancel"], "before installing")
    refused(lab, ["--yes", "license", "smart", "register", "idtoken", "x"], "disable it")
    ret = lab.ok("--yes", "--json", *T, "return").json["return_code"]
    assert re.fullmatch(r"[0-9A-Za-z]{6}(-[0-9A-Za-z]{1,6})+", ret)
    assert lab.status()["registration"]["status"] == "UNREGISTERED"
    bad = ret[:-1] + ("a" if ret[-1] != "a" else "b")
    refused(lab, ["reservation", "return", bad], "not valid", ssm=True)
    lab.ssm_ok("reservation", "return", ret)
    refused(lab, ["reservation", "return", ret], "already used", ssm=True)
    assert all(r["reserved"] == 0 for r in lab.pool().values())
    lab.ok(*T, "disable")
    assert lab.status()["reservation"]["enabled"] is False


def test_altered_code_is_rejected(lab) -> None:  # type: ignore[no-untyped-def]
    req = request(lab)
    code = authorize(lab, req)
    refused(lab, [*T, "install", code.replace("<count>20</count>", "<count>90</count>")], "signature is not valid")


def test_untrusted_ssm_and_sim_ssm_trust(lab, tmp_path) -> None:  # type: ignore[no-untyped-def]
    req = request(lab)
    foreign = ["--ssm", str(tmp_path / "elsewhere")]
    lab.ssm_ok(*foreign, "init", "--demo")
    code = authorize(lab, req, ssm=foreign)
    refused(lab, [*T, "install", code], "not issued by a trusted SSM")
    pem = tmp_path / "key.pem"
    pem.write_text(lab.ssm_ok(*foreign, "key", "export").out)
    lab.ok("sim", "ssm", "trust", str(pem))
    lab.ok(*T, "install", code)
    assert lab.status()["registration"]["status"] == "REGISTERED_SLR"


def test_licenses_the_node_cannot_use_are_refused(lab) -> None:  # type: ignore[no-untyped-def]
    """The request code names the node's license type; the SSM reserves only what it can use."""
    lab.ok("--yes", "appadmin", "license", "type", "perpetual-premium")
    req = request(lab)
    assert codes.parse_request(req).license_type == "perpetual-premium"
    refused(lab, authorize_args(req), "Perpetual Premium node, which cannot use flex-premium, flex-standard", ssm=True)
    args = ["reservation", "authorize", "--va", "DEFAULT", "--request", req]
    code = lab.ssm_ok(*args, "--license", "premium-seat=3", "--license", "server=1").out.strip()
    out = lab.ok(*T, "install", code).out
    assert "It reserves for this Perpetual Premium node: premium-seat 3, server 1." in out
    refused(
        lab, ["reservation", "update", sn_of(lab), "--license", "flex-standard=5"], "cannot use flex-standard", ssm=True
    )


def test_code_for_another_node(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("sim", "node", "create", "b")
    request(lab)
    code_b = authorize(lab, request(lab, "b"))
    refused(lab, [*T, "install", code_b], "does not match the Reservation Request Code")


def test_code_for_an_older_request_of_the_same_node(lab) -> None:  # type: ignore[no-untyped-def]
    first = authorize(lab, request(lab))
    lab.ok(*T, "cancel")
    request(lab)
    refused(lab, [*T, "install", first], "does not match the Reservation Request Code")


def test_replays_are_refused(lab) -> None:  # type: ignore[no-untyped-def]
    _, first = installed(lab)
    sn = sn_of(lab)
    second = lab.ssm_ok("reservation", "update", sn, "--license", "flex-standard=25").out.strip()
    lab.ok(*T, "install", second)
    refused(lab, [*T, "install", first], "replayed")
    refused(lab, [*T, "install", second], "already installed")  # the very code installed now
    lab.ok("--yes", *T, "return")
    refused(lab, [*T, "install", second], "replayed")
    lab.ok("--yes", "license", "smart", "factory", "reset")  # keeps the SLR sequence and newest timestamp
    request(lab)
    refused(lab, [*T, "install", second], "replayed")


def test_install_without_request_and_typos_in_the_request(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("sim", "node", "create", "b")
    code_b = authorize(lab, request(lab, "b"))
    lab.ok("--node", "b", *T, "cancel")
    refused(lab, ["--node", "b", *T, "install", code_b], "No reservation request is pending")
    req = request(lab)
    # a typo the two check digits catch (one in 256 single changes passes them, as with any short check)
    body = next(b for c in "ABCDEFGH" if c != req[15] and _check_digits(b := req[:15] + c + req[16:-3]) != req[-2:])
    typo = body + req[-3:]
    refused(
        lab,
        ["reservation", "authorize", "--va", "DEFAULT", "--request", typo, "--license", "flex-standard=1"],
        "typing error",
        ssm=True,
    )
    refused(
        lab,
        ["reservation", "authorize", "--va", "DEFAULT", "--request", req, "--license", "flex-standard=999"],
        "available",
        ssm=True,
    )
    refused(
        lab,
        ["reservation", "authorize", "--va", "DEFAULT", "--request", req, "--license", "nope=1"],
        "Unknown license",
        ssm=True,
        code=2,
    )


def test_state_rules(lab) -> None:  # type: ignore[no-untyped-def]
    lab.ok("show", "license", "UDI")
    refused(lab, [*T, "request"], "not enabled")
    refused(lab, [*T, "cancel"], "no reservation request")
    lab.register()
    refused(lab, [*T, "enable"], "only while unregistered")


@pytest.mark.parametrize(
    "spelling", [["return-authorization"], ["return", "authorization"], ["return", "-", "authorization"]]
)
def test_return_authorization_for_a_code_never_installed(lab, spelling: list[str]) -> None:  # type: ignore[no-untyped-def]
    code = authorize(lab, request(lab))
    ret = lab.ok("--json", *T, *spelling, code).json["return_code"]
    assert lab.pool()["flex-standard"]["reserved"] == 20
    lab.ssm_ok("reservation", "return", ret)
    assert lab.pool()["flex-standard"]["reserved"] == 0
    assert lab.status()["registration"]["status"] == "UNREGISTERED"


def test_return_authorization_after_cancel_and_instance_remove(lab) -> None:  # type: ignore[no-untyped-def]
    code = authorize(lab, request(lab))
    lab.ok(*T, "cancel")
    ret = lab.ok("--json", *T, "return-authorization", code).json["return_code"]
    inst = lab.ssm_ok("--json", "instance", "list").json["instances"][0]
    refused(lab, ["instance", "remove", str(inst["id"])], "Return Code", ssm=True)
    lab.ssm_ok("instance", "remove", str(inst["id"]), "--return-code", ret)
    assert lab.pool()["flex-standard"]["reserved"] == 0


def test_install_file_and_code_from_stdin(lab, tmp_path) -> None:  # type: ignore[no-untyped-def]
    req = request(lab)
    out = tmp_path / "auth.xml"
    lab.ssm_ok(
        "reservation",
        "authorize",
        "--va",
        "DEFAULT",
        "--request",
        "-",
        "--license",
        "flex-standard=2",
        "--out",
        str(out),
        stdin=req,
    )
    lab.ok(*T, "install-file", str(out))
    assert lab.status()["reservation"]["reserved"] == {"flex-standard": 2}


@pytest.mark.parametrize(
    "code",
    [
        "<!DOCTYPE x [<!ENTITY a 'b'>]><specificPLR/>",
        "<specificPLR>&a;</specificPLR>",
        "x" * 70000,
        "<specificPLR><authorizationCode><x></authorizationCode><signature>AA==</signature><udi>u</udi></specificPLR>",
    ],
)
def test_hostile_codes(lab, code: str) -> None:  # type: ignore[no-untyped-def]
    request(lab)
    refused(lab, [*T, "install", code], "Authorization Code")


# --- property test on the pure code checks -------------------------------------------------------

KEY_PRIV, KEY_PUB = codes.new_signing_key()


NODE_UUID = "00112233445566778899aabbccddeeff"
SECRET = "11" * 32
NONCE = R.nonce(SECRET, 1)
# One code for the whole property test: an ECDSA signature is random, and hypothesis
# needs every example to start from the same code.
CODE = codes.make_authorization(
    KEY_PRIV, NONCE, 1_800_000_000_000, {"flex-standard": 20, "flex-premium": 5}, NODE_UUID[-5:], NODE_UUID
)


def _node_with_request() -> tuple[dict[str, Any], str]:
    node = engine.new_node("n", NODE_UUID, 1_800_000_000)
    node["slr"]["enabled"] = True
    seq, piid = R.next_request(node, SECRET)
    key = codes.reservation_key(R.key_material(node, piid))
    req = codes.make_request(node["sn"], node["uuid"], codes.public_bytes(key), bytes.fromhex(piid))
    R.request(node, 1_800_000_000, req, seq, piid)
    return node, CODE


def _accepts(node: dict[str, Any], code: str) -> bool:
    try:
        a = codes.parse_authorization(code)
        codes.verify_authorization(a, [KEY_PUB])
        R.install(node, 1_800_000_100, a.piid, a.timestamp, a.counts, a.udi, "")
    except RuleError:
        return False
    return True


def test_the_unmutated_code_is_accepted() -> None:
    node, code = _node_with_request()
    assert _accepts(node, code)


OTHER_UDI = udi_text("fffff", "ffffffffffffffffffffffffffffffff")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_no_mutated_authorization_code_is_accepted(data: st.DataObject) -> None:
    node, code = _node_with_request()
    kind = data.draw(st.sampled_from(["replace", "insert", "delete", "count", "udi", "piid", "timestamp", "tag"]))
    if kind in ("replace", "insert", "delete"):
        i = data.draw(st.integers(0, len(code) - 1))
        ch = data.draw(
            st.characters(blacklist_categories=("Cs",), blacklist_characters=" \t\r\n\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0")
        )
        mutated = {
            "replace": code[:i] + ch + code[i + 1 :],
            "insert": code[:i] + ch + code[i:],
            "delete": code[:i] + code[i + 1 :],
        }[kind]
    elif kind == "count":
        n = data.draw(st.integers(0, 999999).filter(lambda n: n != 20))
        mutated = code.replace("<count>20</count>", f"<count>{n}</count>")
    elif kind == "udi":
        mutated = re.sub(r"<udi>[^<]*</udi>", f"<udi>{OTHER_UDI}</udi>", code)
    elif kind == "piid":
        mutated = code.replace(NONCE, data.draw(st.from_regex(r"[0-9a-f]{16}", fullmatch=True)))
    elif kind == "timestamp":
        mutated = code.replace(
            "1800000000000", str(data.draw(st.integers(1, 10**14).filter(lambda n: n != 1800000000000)))
        )
    else:
        mutated = code.replace("UCCX_Flex_Std_Agent", "UCCX_Flex_Prem_Agent", 1)
    if mutated.strip() == code:
        return
    assert not _accepts(node, mutated), (kind, mutated)


def _check_digits(body: str) -> str:
    """The request code's check digits (SPEC: the first two hex digits of SHA-256 of the rest)."""
    return hashlib.sha256(body.encode()).hexdigest()[:2]


def test_the_disputed_tier_rule_is_a_lab_setting(lab) -> None:  # type: ignore[no-untyped-def]
    """20 standard and 5 premium reserved, 23 standard agents: by the seed's reading the 3 over
    take premium licenses left unused; by the other (`sim lab slr-tiers strict`) they do not, and
    a 21st standard login is refused. A node made later follows the lab's reading."""
    installed(lab)
    lab.ok("sim", "agent", "login", "--count", "23")
    assert lab.status()["authorization"]["status"] == "AUTHORIZED_RESERVED"
    r = lab.ok("sim", "lab", "slr-tiers", "strict")
    assert "each tier covers only itself" in r.out
    assert lab.status()["authorization"]["status"] == "NOT_AUTHORIZED_RESERVED"
    lab.ok("sim", "agent", "logout", "--all")
    lab.ok("sim", "agent", "login", "--count", "20")
    refused(lab, ["sim", "agent", "login", "--count", "1"], "would exceed the reserved licenses")
    lab.ok("sim", "node", "create", "later")
    later = json.loads((lab.home / "nodes" / "later" / "state.json").read_text())
    assert later["slr"]["strict_tiers"] is True
    lab.ok("sim", "lab", "slr-tiers", "borrow")
    lab.ok("sim", "agent", "login", "--count", "1")  # borrowing again: premium left unused covers it


def test_rehost_licenses_from_a_failed_product(lab) -> None:  # type: ignore[no-untyped-def]
    """Node a holds 5+1 reserved and its device fails (no return code): its licenses move to
    node b's request in one step: a is removed, b installs the code, the pool holds 6, not 12."""
    req_a = request(lab)
    auth_a = lab.ssm_ok(*authorize_args(req_a, std=5, prem=1)).out.strip()
    lab.ok(*T, "install", auth_a)
    a_id = str(lab.ssm_ok("--json", "instance", "list").json["instances"][0]["id"])
    lab.ok("sim", "node", "create", "b")
    req_b = request(lab, "b")
    lab.refused(["reservation", "rehost", a_id, "--request", req_a], "the failed product's own", ssm=True)
    lab.refused(["reservation", "rehost", "999", "--request", req_b], "No", ssm=True)
    auth_b = lab.ssm_ok("reservation", "rehost", a_id, "--request", req_b).out.strip()
    lab.ok("--node", "b", *T, "install", auth_b)
    assert lab.status("b")["registration"]["status"] == "REGISTERED_SLR"
    pool = lab.pool()
    assert pool["flex-standard"]["reserved"] == 5 and pool["flex-premium"]["reserved"] == 1
    listed = lab.ssm_ok("--json", "instance", "list").json["instances"]
    assert [i["sn"] for i in listed] == [lab.status("b")["udi"]["sn"]]  # the failed product is gone
    kinds = [e["kind"] for e in lab.ssm_ok("--json", "events", "--last", "5").json["events"]]
    assert "rehost" in kinds and "released" in kinds
