"""A two-node UCCX cluster (issue 37, item 4): Smart Licensing runs on the publisher; the
subscriber's licensing commands say so and change nothing; agents on either count on the
publisher's licenses; the subscriber has no licensing timers of its own."""

from __future__ import annotations

from conftest import Lab


def test_the_subscriber_sends_licensing_to_the_publisher(lab: Lab) -> None:
    lab.ok("sim", "node", "create", "sub", "--subscriber-of", "uccx")
    for argv in (
        ["show", "license", "status"],
        ["license", "smart", "register", "idtoken", "anything"],
        ["--yes", "license", "smart", "deregister"],
        ["license", "smart", "reservation", "enable"],
    ):
        r = lab.refused(["--node", "sub", *argv], "on node uccx")
        assert "Smart Licensing runs on the publisher of this cluster" in r.err
    lab.register()  # the publisher registers as any node does
    lab.ok("--node", "sub", "sim", "agent", "login", "--count", "5")  # agents logged in on the subscriber…
    lab.ok("sim", "agent", "login", "--count", "2")
    assert len(lab.ok("--json", "sim", "agent", "list").json["agents"]) == 7  # …count on the publisher
    moved = lab.ok("--json", "sim", "clock", "advance", "15m").json
    assert lab.pool()["flex-standard"]["in_use"] == 7  # reported by the publisher
    sub = next(n for n in moved["nodes"] if n["name"] == "sub")
    assert sub["counts"] == {} and sub["alerts_raised"] == []


def test_a_subscriber_has_no_licensing_life_of_its_own(lab: Lab) -> None:
    lab.ok("sim", "node", "create", "sub", "--subscriber-of", "uccx")
    text = lab.ok("sim", "clock", "advance", "100d").out
    assert "Node sub: subscriber of uccx; its agents count there." in text
    assert "Node uccx:" in text and "EVAL_EXPIRED" in text  # the publisher's evaluation ran out, not the subscriber's
    node = lab.ok("--json", "sim", "node", "list").json
    assert {n["name"] for n in node["nodes"]} >= {"uccx", "sub"}


def test_a_cluster_has_two_nodes_and_one_licensing(lab: Lab) -> None:
    lab.ok("sim", "node", "create", "sub", "--subscriber-of", "uccx")
    lab.refused(["sim", "node", "create", "sub2", "--subscriber-of", "uccx"], "already has a subscriber (sub)")
    lab.refused(["sim", "node", "create", "sub3", "--subscriber-of", "sub"], "is itself a subscriber")
    lab.refused(["sim", "node", "create", "sub4", "--subscriber-of", "nowhere"], "No node", code=2)
    lab.refused(["sim", "node", "create", "sub5", "--subscriber-of", "uccx", "--type", "flex"], "license type", code=2)
    lab.refused(["--yes", "sim", "node", "delete", "uccx"], "delete its subscriber first")
    lab.ok("--yes", "sim", "node", "delete", "sub")  # then the publisher may go
    lab.ok("sim", "node", "create", "old", "--classic")
    lab.refused(["sim", "node", "create", "sub6", "--subscriber-of", "old"], "Classic Licensing")


def test_a_lab_file_makes_a_cluster(lab: Lab, tmp_path) -> None:  # type: ignore[no-untyped-def]
    lab_file = tmp_path / "cluster.toml"
    lab_file.write_text(
        '[lab]\nstart = 2027-01-04T09:00:00Z\n\n[[node]]\nname = "pub"\nregister = "DEFAULT"\nagents = 4\n\n'
        '[[node]]\nname = "sub"\nsubscriber_of = "pub"\nagents = 3\n'
    )
    lab.ok("--yes", "sim", "lab", "apply", str(lab_file))
    assert len(lab.ok("--node", "pub", "--json", "sim", "agent", "list").json["agents"]) == 7
    lab.refused(["--node", "sub", "show", "license", "status"], "on node pub")
