"""A scenario loaded into one node (issue 36, item 3): `sim scenario load NAME --node N` builds
the scenario for a new node at the lab's time, in a virtual account of its own, and leaves every
other node, account and the clock as they were; node and SSM agree, also when the process is
killed between the SSM's commit and the node's."""

from __future__ import annotations

import json

from conftest import Lab, ccx_run


def _others(lab: Lab) -> tuple[str, str, str, str]:
    """What loading a scenario into a new node must not change: the other nodes' state files,
    the DEFAULT pool, the other instances, the clock."""
    states = json.dumps({p.parent.name: p.read_text() for p in sorted((lab.home / "nodes").glob("*/state.json"))})
    instances = json.dumps(lab.ssm_ok("--json", "instance", "list").json["instances"])
    return states, json.dumps(lab.pool()), instances, lab.ok("--json", "sim", "clock", "show").json["now"]


def test_a_scenario_goes_into_one_new_node_and_nothing_else(lab: Lab) -> None:
    lab.register()
    lab.ok("sim", "agent", "login", "--count", "7")
    lab.ok("sim", "clock", "advance", "15m")
    before = _others(lab)
    done = lab.ok("--json", "sim", "scenario", "load", "ooc-report-4", "--node", "s05").json
    assert done["node"] == "s05" and done["va"] == "s05"
    states, pool, instances, now = _others(lab)
    assert (pool, now) == before[1:2] + before[3:] and before[0] == json.dumps(
        {k: v for k, v in json.loads(states).items() if k != "s05"}
    )
    assert json.loads(before[2]) == [i for i in json.loads(instances) if i["va"] != "s05"]
    st = lab.status("s05")
    assert st["registration"]["status"] == "REGISTERED" and st["authorization"]["status"] == "AUTHORIZED"
    assert lab.pool("s05")["flex-standard"]["reported_usage"] == 60  # its account's pool, as the scenario left it
    lab.ok("--node", "s05", "sim", "clock", "advance", "15m")  # the 5th over-entitlement report, at the lab's time
    assert lab.status("s05")["authorization"]["status"] == "OUT_OF_COMPLIANCE"
    assert lab.status()["authorization"]["status"] == "AUTHORIZED"  # the first node is as it was


def test_an_slr_scenario_node_speaks_with_the_lab_s_ssm(lab: Lab) -> None:
    """Its codes were signed with the lab SSM's key: the update it waits on is confirmed there,
    and the reservation returned."""
    lab.ok("sim", "scenario", "load", "slr-update-unconfirmed", "--node", "s07")
    st = lab.status("s07")
    sn = lab.ok("--node", "s07", "--json", "show", "license", "UDI").json["udi"]["sn"]
    conf = lab.ok("--node", "s07", "--json", "show", "license", "reservation").json["reservation"][
        "last_confirmation_code"
    ]
    assert st["registration"]["status"] == "REGISTERED_SLR"
    lab.ssm_ok("reservation", "confirm", sn, conf)
    ret = lab.ok("--node", "s07", "--yes", "--json", "license", "smart", "reservation", "return").json["return_code"]
    lab.ssm_ok("reservation", "return", ret)
    assert lab.pool("s07")["flex-standard"]["reserved"] == 0


def test_what_cannot_go_into_one_node_is_refused_changing_nothing(lab: Lab) -> None:
    lab.ok("sim", "node", "create", "s01")
    lab.refused(["sim", "scenario", "load", "ooc-report-4", "--node", "s01"], "exists already")
    lab.refused(["sim", "scenario", "load", "onprem-sync-overdue", "--node", "s02"], "SSM On-Prem of its own", code=2)
    both = ["sim", "scenario", "load", "ooc-report-4", "--node", "s02", "--replace"]
    lab.refused(both, "leave out --replace", code=2)
    lab.refused(["sim", "scenario", "load", "no-such", "--node", "s02"], "No scenario", code=2)
    lab.ssm_ok("va", "create", "s03")
    lab.refused(["sim", "scenario", "load", "ooc-report-4", "--node", "s03"], "virtual account 's03' exists")
    assert not [p for p in lab.home.iterdir() if p.name.startswith(".scenario-")]  # no temporary lab left


def test_killed_between_the_ssm_and_the_node_the_next_command_finishes_it(lab: Lab) -> None:
    lab.ok("show", "license", "UDI")
    r = ccx_run(lab.home, "sim", "scenario", "load", "auth-expiring", "--node", "s09", CCX_TEST_KILL_AT="adopted")
    assert r.returncode == -9, r
    assert "s09" in [v["name"] for v in lab.ssm_ok("--json", "va", "list").json["virtual_accounts"]]
    nodes = [n["name"] for n in lab.ok("--json", "sim", "node", "list").json["nodes"]]  # any command finishes it
    assert "s09" in nodes
    assert lab.status("s09")["registration"]["status"] == "REGISTERED"
    assert not [p for p in lab.home.iterdir() if p.name.startswith(".scenario-")]
