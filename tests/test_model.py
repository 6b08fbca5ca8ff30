"""Model-based test: random sequences of every operation on a lab (SSM + two nodes).

After each step: the SSM invariant holds for every virtual account, no count is
negative, every node's state is one SPEC §3.5 allows, and a refused operation changed
nothing. CI runs a few sequences; CCX_STRESS=10 runs ten times more.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from conftest import Lab, Run, authorize_args, ccx_run
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

STRESS = int(os.environ.get("CCX_STRESS", "1"))
NODES = ("uccx", "b")
VAS = ("DEFAULT", "SALES")
REG = {"UNREGISTERED", "REGISTERED", "REGISTRATION_EXPIRED", "RESERVATION_IN_PROGRESS", "REGISTERED_SLR"}
ALLOWED = {
    "UNREGISTERED": {"EVAL_MODE", "EVAL_EXPIRED"},
    "RESERVATION_IN_PROGRESS": {"EVAL_MODE", "EVAL_EXPIRED"},
    "REGISTERED": {"AUTHORIZED", "OUT_OF_COMPLIANCE", "AUTH_EXPIRED", "NO_LICENSES_IN_USE"},
    "REGISTRATION_EXPIRED": {"AUTHORIZED", "OUT_OF_COMPLIANCE", "AUTH_EXPIRED", "NO_LICENSES_IN_USE"},
    "REGISTERED_SLR": {"AUTHORIZED_RESERVED", "NOT_AUTHORIZED_RESERVED"},
}
node_st = st.sampled_from(NODES)
T = ("license", "smart", "reservation")


class LabModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="ccx-model-"))
        self.lab = Lab(self.tmp / "lab")
        self.lab.ok("sim", "node", "create", "b")
        self.lab.ssm_ok("va", "create", "SALES")
        self.codes: dict[str, list[str]] = {n: [] for n in NODES}  # authorization codes issued per node
        self.returns: list[str] = []
        self.orphans: set[str] = set()  # nodes deregistered with the network down: the SSM still lists them

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- the one way every step runs: a refusal must change nothing -----------------------------
    def ccx(self, node: str, *argv: str, changes_on_failure: bool = False) -> Run:
        before = self.lab.snapshot()
        r = self.lab.ccx("--node", node, "--yes", *argv)
        self._check(r, before, changes_on_failure)
        return r

    def ssm(self, *argv: str) -> Run:
        before = self.lab.snapshot()
        r = self.lab.ssm(*argv)
        self._check(r, before, False)
        return r

    def _check(self, r: Run, before: dict[str, bytes], changes_on_failure: bool) -> None:
        assert r.code in (0, 1, 2, 4), r
        assert "Traceback" not in r.err and "Internal error" not in r.err, r
        if r.code and not changes_on_failure:
            assert self.lab.snapshot() == before, r

    # -- rules ---------------------------------------------------------------------------------------
    @rule(span=st.sampled_from(["15m", "45m", "2h", "1d", "31d", "91d", "200d"]))
    def advance(self, span: str) -> None:
        assert self.ccx("uccx", "sim", "clock", "advance", span).code == 0

    @rule(node=node_st, n=st.integers(1, 40), premium=st.booleans())
    def login(self, node: str, n: int, premium: bool) -> None:
        self.ccx(node, "sim", "agent", "login", "--count", str(n), *(["--premium"] if premium else []))

    @rule(node=node_st)
    def logout(self, node: str) -> None:
        assert self.ccx(node, "sim", "agent", "logout", "--all").code == 0

    @rule(node=node_st, va=st.sampled_from(VAS))
    def register(self, node: str, va: str) -> None:
        tok = self.ssm("token", "create", "--va", va)
        if tok.code == 0:
            self.ccx(node, "license", "smart", "register", "idtoken", tok.out.strip())

    @rule(node=node_st)
    def deregister(self, node: str) -> None:
        r = self.ccx(node, "--json", "license", "smart", "deregister")
        if r.code == 0 and not r.json["ssm_notified"]:
            self.orphans.add(node)

    @rule(
        node=node_st,
        op=st.sampled_from(["register", "deregister", "renew", "advance"]),
        point=st.sampled_from(["exchange-recorded", "ssm-committed", "exchange-answered"]),
    )
    def crash_inside_an_exchange(self, node: str, op: str, point: str) -> None:
        """A process killed between the SSM's commit and the node's, or the reverse: the two
        agree once the node next runs (checked by the invariants, which run commands)."""
        argv = {
            "deregister": ["license", "smart", "deregister"],
            "renew": ["license", "smart", "renew", "auth"],
            "advance": ["sim", "clock", "advance", "1h"],
        }.get(op)
        if argv is None:
            tok = self.ssm("token", "create")
            argv = ["license", "smart", "register", "idtoken", tok.out.strip()]
        r = ccx_run(self.lab.home, "--node", node, "--yes", *argv, CCX_TEST_KILL_AT=point)
        assert r.returncode in (0, 1, 2, 4, -9), r
        assert "Traceback" not in r.stderr and "Internal error" not in r.stderr, r
        if op == "deregister":
            # A deregistration left in the outbox is completed by the next command; with the
            # network down then, the node deregisters locally and the SSM still lists it (as
            # the appliance does, and as the `deregister` rule allows).
            self.orphans.add(node)

    @rule(node=node_st, what=st.sampled_from(["auth", "ID"]))
    def renew(self, node: str, what: str) -> None:
        self.ccx(node, "license", "smart", "renew", what, changes_on_failure=True)  # a failed attempt is logged

    @rule(node=node_st, up=st.booleans())
    def network(self, node: str, up: bool) -> None:
        assert self.ccx(node, "sim", "network", "up" if up else "down").code == 0

    @rule(alias=st.sampled_from(["flex-standard", "flex-premium"]), qty=st.integers(1, 30), va=st.sampled_from(VAS))
    def deposit(self, alias: str, qty: int, va: str) -> None:
        assert self.ssm("license", "add", alias, str(qty), "--va", va).code == 0

    @rule(alias=st.sampled_from(["flex-standard", "flex-premium"]), qty=st.integers(1, 30))
    def transfer(self, alias: str, qty: int) -> None:
        self.ssm("license", "transfer", alias, str(qty), "--from", "DEFAULT", "--to", "SALES")

    @rule(node=node_st)
    def slr_enable(self, node: str) -> None:
        self.ccx(node, *T, "enable")

    @rule(node=node_st, std=st.integers(0, 30), prem=st.integers(0, 10))
    def slr_request_and_authorize(self, node: str, std: int, prem: int) -> None:
        r = self.ccx(node, "--json", *T, "request", "specific")
        if r.code == 0:
            req = r.json["request_code"]
            a = self.ssm(*authorize_args(req, std, prem))
            if a.code == 0:
                self.codes[node].append(a.out.strip())

    @rule(node=node_st, data=st.data())
    @precondition(lambda self: any(self.codes.values()))
    def slr_install_any_code(self, node: str, data: st.DataObject) -> None:
        code = data.draw(st.sampled_from([c for cs in self.codes.values() for c in cs]))
        r = self.ccx(node, "--json", *T, "install", code)
        if r.code == 0 and "confirmation_code" in r.json:
            sn = self.lab.status(node)["udi"]["sn"]
            self.ssm("reservation", "confirm", sn, r.json["confirmation_code"])

    @rule(node=node_st, std=st.integers(0, 30))
    def slr_update(self, node: str, std: int) -> None:
        sn = self.lab.status(node)["udi"]["sn"]
        a = self.ssm("reservation", "update", sn, "--license", f"flex-standard={std}")
        if a.code == 0:
            self.codes[node].append(a.out.strip())

    @rule(node=node_st)
    def slr_cancel(self, node: str) -> None:
        self.ccx(node, *T, "cancel")

    @rule(node=node_st)
    def slr_return(self, node: str) -> None:
        r = self.ccx(node, "--json", *T, "return")
        if r.code == 0:
            self.returns.append(r.json["return_code"])
            assert self.ssm("reservation", "return", r.json["return_code"]).code == 0

    @rule(node=node_st, data=st.data())
    @precondition(lambda self: any(self.codes.values()))
    def slr_return_authorization(self, node: str, data: st.DataObject) -> None:
        code = data.draw(st.sampled_from([c for cs in self.codes.values() for c in cs]))
        r = self.ccx(node, "--json", *T, "return-authorization", code)
        if r.code == 0:
            self.returns.append(r.json["return_code"])
            self.ssm("reservation", "return", r.json["return_code"])

    @rule()
    @precondition(lambda self: bool(self.returns))
    def replay_return_code(self) -> None:
        assert self.ssm("reservation", "return", self.returns[-1]).code == 1

    @rule(node=node_st)
    def slr_disable(self, node: str) -> None:
        self.ccx(node, *T, "disable")

    # -- invariants -----------------------------------------------------------------------------------
    @invariant()
    def pools_balance(self) -> None:
        for va in VAS:
            for r in self.lab.pool(va).values():
                assert r["purchased"] == r["available"] + r["in_use"] + r["reserved"], r
                assert min(r["purchased"], r["available"], r["in_use"], r["reserved"], r["reported_usage"]) >= 0, r

    @invariant()
    def node_and_ssm_agree(self) -> None:
        states = {node: self.lab.status(node) for node in NODES}  # the next command settles what a killed one left
        instances = {r["uuid"]: r for r in self.lab.ssm_ok("--json", "instance", "list").json["instances"]}
        reservations = self.lab.ssm_ok("--json", "reservation", "list").json["reservations"]
        for node, s in states.items():
            inst = instances.get(s["udi"]["uuid"])
            reg = s["registration"]["status"]
            if reg in ("REGISTERED", "REGISTRATION_EXPIRED"):
                assert inst is not None and inst["kind"] == "smart", (node, s, inst)
                self.orphans.discard(node)
                if s["compliance"]["last_report_outcome"] == "compliant":
                    for u in s["usage"]:
                        assert inst["usage"].get(u["alias"], 0) == u["reported"], (node, s["usage"], inst)
            elif inst is not None and inst["kind"] == "smart":
                assert node in self.orphans, (node, reg, inst)
            if reg == "REGISTERED_SLR":
                held = [r["held"] for r in reservations if r["sn"] == s["udi"]["sn"] and r["held"]]
                assert len(held) == 1, (node, reservations)
                for alias, n in s["reservation"]["reserved"].items():
                    assert held[0].get(alias, 0) >= n, (node, held, s["reservation"])

    @invariant()
    def node_states_are_allowed(self) -> None:
        for node in NODES:
            s = self.lab.status(node)
            reg, auth = s["registration"]["status"], s["authorization"]["status"]
            assert reg in REG and auth in ALLOWED[reg], (node, reg, auth)
            assert all(u["count"] >= 0 for u in s["usage"])
            if s["enforcement"]["active"]:
                assert s["enforcement"]["reason"] in ("OOC_EXPIRY", "AUTH_EXPIRY", "EVAL_EXPIRY")
            if reg == "REGISTERED_SLR":
                assert s["reservation"]["reserved"]
            if s["reservation"]["request_code"]:
                assert re.fullmatch(r"CB-ZUCCX:[0-9a-f]{5}-\S+-[0-9a-f]{2}", s["reservation"]["request_code"])


LabModel.TestCase.settings = settings(
    max_examples=6 * STRESS,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_lab_model = LabModel.TestCase
