"""A lab described as code: `sim lab apply FILE` builds it by the real rules, `sim lab check
FILE` grades it one line per goal, and a file with an error is refused naming its line,
changing nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import Lab
from doctext import page

from ccxcli.cli import labspec

ROOT = Path(__file__).resolve().parents[1]
CLASS = ROOT / "examples" / "class-20.toml"


def test_a_class_of_twenty_is_built_and_graded(lab: Lab) -> None:
    r = lab.ok("--yes", "sim", "lab", "apply", str(CLASS))
    assert "nodes s01, s02" in r.out and "s20" in r.out
    assert [n["name"] for n in lab.ok("--json", "sim", "node", "list").json["nodes"]] == [
        f"s{i:02d}" for i in range(1, 21)
    ]
    users = json.loads((lab.home / "ssh-users.json").read_text())
    assert len(users["users"]) == 21 and users["users"]["s07"]["nodes"] == ["s07"]
    assert users["users"]["trainer"]["operator"] is True
    portal = {u["name"]: u for u in lab.ssm_ok("--json", "user", "list").json["users"]}
    assert portal["s07"]["virtual_account"] == "Student07"
    assert lab.ssm_ok("--json", "account", "show").json["account"] == "Acme Training"
    assert lab.ok("--json", "sim", "clock", "show").json["now"] == "2026-03-02T09:00:00Z"

    graded = lab.ccx("sim", "lab", "check", str(CLASS))
    lines = graded.out.strip().split("\n")
    assert graded.code == 1 and len(lines) == 41 and lines[-1] == "20 of 40 goals met."
    assert lines[0] == (
        "FAIL  node s01 is REGISTERED_SLR with 20 flex-standard reserved: found registration "
        "UNREGISTERED; reserved nothing"
    )
    assert lines[1] == "PASS  virtual account Student01 with no alert"

    # student 1 does the exercise: the air-gapped reservation of 20 standard licenses
    lab.ok("--node", "s01", "license", "smart", "reservation", "enable")
    code = lab.ok("--node", "s01", "--json", "license", "smart", "reservation", "request").json["request_code"]
    auth = (
        lab.ssm_ok("reservation", "authorize", "--va", "Student01", "--request", code, "--license", "flex-standard=20")
        .out.strip()
        .split("\n")[-1]
    )
    lab.ok("--node", "s01", "license", "smart", "reservation", "install", auth)
    doc = lab.ccx("--json", "sim", "lab", "check", str(CLASS)).json
    assert doc["met"] == 21 and doc["goals"][0] == {
        "title": "node s01 is REGISTERED_SLR with 20 flex-standard reserved",
        "ok": True,
        "found": "",
    }


def test_nodes_registered_and_reserved_by_the_file_are_so_by_the_real_rules(lab: Lab, tmp_path: Path) -> None:
    f = tmp_path / "lab.toml"
    f.write_text("""
[lab]
start = 2026-05-04T08:00:00Z
advance = "2h"

[[virtual_account]]
name = "Branch"
licenses = { flex-standard = 10 }

[[token]]
va = "Branch"
description = "for the branch office"
max_uses = 2

[[node]]
name = "hq"
register = "DEFAULT"
agents = 5
premium_agents = 2

[[node]]
name = "branch"
register = "Branch"
agents = 12

[[node]]
name = "air"
reserve = { flex-standard = 3, flex-premium = 1 }
faults = ["ssm-slow"]
network = "down"

[[goal]]
node = "hq"
registration = "REGISTERED"
authorization = "AUTHORIZED"
alerts = 0

[[goal]]
node = "branch"
authorization = "OUT_OF_COMPLIANCE"

[[goal]]
node = "air"
registration = "REGISTERED_SLR"
reserved = { flex-standard = 3, flex-premium = 1 }

[[goal]]
va = "DEFAULT"
in_use = { flex-standard = 5, flex-premium = 2 }
""")
    r = lab.ok("--yes", "--json", "sim", "lab", "apply", str(f))
    assert r.json["now"] == "2026-05-04T10:00:00Z"  # started where the file says, then 2 hours on
    [token] = r.json["tokens"]
    assert token["va"] == "Branch" and token["description"] == "for the branch office"
    listed = {t["token"]: t for t in lab.ssm_ok("--json", "token", "list").json["tokens"]}
    assert listed[token["token"]]["max_uses"] == 2  # saved before it was printed
    instances = lab.ssm_ok("--json", "instance", "list").json["instances"]
    assert len(instances) == 3
    air = lab.ok("--node", "air", "--json", "show", "license", "status").json
    assert air["network"] == "down" and air["reservation"]["reserved"]["flex-standard"] == 3
    r = lab.ok("--json", "sim", "lab", "check", str(f))
    assert r.json["failed"] == 0 and r.json["met"] == 4


def test_a_lab_that_is_not_fresh_is_replaced_only_when_asked(lab: Lab, tmp_path: Path) -> None:
    f = tmp_path / "one.toml"
    f.write_text('[[node]]\nname = "solo"\n')
    lab.ok("sim", "node", "create", "mine")
    lab.refused(["--yes", "sim", "lab", "apply", str(f)], "--replace", code=2)
    lab.ok("--yes", "sim", "lab", "apply", str(f), "--replace")
    assert [n["name"] for n in lab.ok("--json", "sim", "node", "list").json["nodes"]] == ["solo"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("x = 1\n", "line 1: unknown section [x]"),
        ('[[node]]\nname = "A"\n', "line 2: 'name' = 'A' is not a name"),
        ('[[node]]\nname = "a"\n\n[[node]]\nname = "b"\nova = 250\n', "line 6: 'ova' must be 100, 300 or 400"),
        ('[[node]]\nname = "a"\nregister = "Nowhere"\n', "line 3: no virtual account 'Nowhere' of SSM 'cloud'"),
        ('[[node]]\nname = "a"\nreserve = { flex-standrd = 2 }\n', "line 3: unknown license 'flex-standrd'"),
        (
            '[[node]]\nname = "a"\nregister = "DEFAULT"\nreserve = { flex-standard = 2 }\n',
            "line 4: a node is registered or reserved",
        ),
        ('[[node]]\nname = "a"\n[[node]]\nname = "a"\n', "line 3: 'a' is declared twice"),
        ('[[goal]]\nnode = "zz"\nalerts = 0\n', "line 2: no node 'zz' in this file"),
        (
            '[[goal]]\nva = "DEFAULT"\nregistration = "REGISTERED"\n',
            "line 3: 'registration' is not a check for a virtual",
        ),
        ('[[ssh_user]]\nname = "x"\nnodes = ["b"]\npassword = "long-enough"\n', "line 3: no node 'b' in this file"),
        ('[lab]\nstart = "yesterday"\n', "line 2: Invalid start 'yesterday'"),
        ('[[node]\nname = "a"\n', "not TOML: Expected ']]'"),
        ("[lab]\nstart = 2026-03-02T09:00:00\n", "line 2: 'start' needs its time zone"),
    ],
)
def test_a_file_with_an_error_is_refused_naming_the_line(lab: Lab, tmp_path: Path, text: str, words: str) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(text)
    lab.ok("show", "license", "UDI")
    lab.refused(
        ["--yes", "sim", "lab", "apply", str(f)], f"{f}{', ' if words.startswith('line') else ': '}{words}", code=2
    )
    lab.refused(["sim", "lab", "check", str(f)], words, code=2)


def test_the_schema_knows_every_key_the_reader_does_and_the_readme_shows_the_example() -> None:
    doc = labspec.schema()
    assert set(doc["properties"]) == set(labspec.SECTIONS)
    for section, (many, keys, required) in labspec.SECTIONS.items():
        table = doc["properties"][section]["items"] if many else doc["properties"][section]
        assert set(table["properties"]) == set(keys) and table["required"] == list(required)
        assert table["additionalProperties"] is False
    spec = labspec.read(CLASS.read_text(), str(CLASS))
    for section, tables in spec.items():  # every key the example uses is in the schema
        schema = doc["properties"][section]
        props = (schema["items"] if "items" in schema else schema)["properties"]
        assert all(key in props for t in tables for key in t), section
    block = re.search(r"## Labs as code.*?```toml\n(.*?)```", page("how-to/classes.md"), re.S)
    assert block is not None
    shown = labspec.read(block.group(1), "README")
    assert shown["node"] == [t for t in spec["node"] if t["name"] == "s01"]  # the example's first student
    assert shown["goal"] == spec["goal"][:2]


def test_a_lab_file_chooses_the_reading_of_the_disputed_slr_rule(lab: Lab, tmp_path: Path) -> None:
    f = tmp_path / "strict.toml"
    f.write_text(
        '[lab]\nslr_tiers = "strict"\n\n[[node]]\nname = "a"\n'
        "reserve = { flex-standard = 2, flex-premium = 2 }\nagents = 2\n\n"
        '[[goal]]\nnode = "a"\nauthorization = "AUTHORIZED_RESERVED"\n'
    )
    lab.ok("--yes", "sim", "lab", "apply", str(f))
    assert json.loads((lab.home / "nodes" / "a" / "state.json").read_text())["slr"]["strict_tiers"] is True
    assert json.loads((lab.home / "lab.json").read_text())["slr_tiers"] == "strict"
    lab.refused(["--node", "a", "sim", "agent", "login", "--count", "1"], "would exceed the reserved licenses")
    assert lab.ok("--json", "sim", "lab", "check", str(f)).json["met"] == 1
