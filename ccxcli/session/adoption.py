"""A scenario loaded into one node (`sim scenario load NAME --node N`): built in a temporary
lab whose clock ends at this lab's now and whose SSM signs with this lab's SSM key, then adopted:
the SSM's records of it go into this lab's SSM in one transaction (a virtual account of its
own, `ssm.core.adopt`), then the node is placed. One commit order: the intent is saved in
lab.json first, so a process killed between the SSM's commit and the node's is finished by
the next command (`settle`), and node and SSM agree."""

from __future__ import annotations

import shutil
from pathlib import Path

from ccxcli.errors import RuleError
from ccxcli.faults import kill_point
from ccxcli.session.link import ssm_of
from ccxcli.store.lab import DEFAULT_NODE, DEFAULT_SSM, LabStore

KEY = "adopting"
PREFIX = ".scenario-"  # the temporary labs scenarios are built in (`cli/scenarios.py`)


def _temporary(name: str) -> bool:
    return name.startswith(PREFIX) and "/" not in name and "\\" not in name and ".." not in name


def adopt(lab: LabStore, built: str, node: str, note: str) -> None:
    """Adopt the scenario built in the temporary lab `built` as node `node` (and virtual
    account `node` of the lab's SSM)."""
    from ccxcli.ssm.core import adopt as core

    if node in lab.node_names():
        raise RuleError(f"Node '{node}' exists already; a scenario is loaded into a new node.")
    if Path(built).parent != lab.home or not _temporary(Path(built).name):
        raise RuleError("The scenario was not built in this lab's home.")
    lab.data[KEY] = {"node": node, "from": Path(built).name}  # a folder of the lab home, by name
    lab.commit()
    try:
        source = Path(built) / "ssm" / DEFAULT_SSM
        core.adopt(ssm_of(lab, DEFAULT_SSM), source, "DEFAULT", node, {DEFAULT_NODE: node}, note, lab.now())
    except BaseException:
        lab.data.pop(KEY, None)  # the SSM's transaction did not commit: nothing to finish
        lab.commit()
        raise
    kill_point("adopted")
    finish(lab)


def finish(lab: LabStore) -> None:
    """Place the node of an adoption whose SSM side committed; forget one whose did not."""
    intent = lab.data.get(KEY)
    if not intent:
        return
    name, node = str(intent["from"]), str(intent["node"])
    if not _temporary(name):  # lab.json says where: never anywhere but a scenario folder of this lab
        lab.data.pop(KEY, None)
        lab.commit()
        return
    built = str(lab.home / name)
    committed = any(v["name"] == node for v in ssm_of(lab, DEFAULT_SSM).va_list())
    if committed and node not in lab.node_names() and Path(built, "nodes", DEFAULT_NODE).is_dir():
        with LabStore(built) as source:
            lab.place_node(node, source.load(DEFAULT_NODE))
    lab.data.pop(KEY, None)
    lab.commit()
    shutil.rmtree(built, ignore_errors=True)
