"""Agents on a node (pure): creating, changing and deleting them (Unified CM
synchronization, blocked under Enforcement), and logging them in and out (admitted by the
license type, the OVA, SLR and License Control through `admin.apply_agents`).

The handlers of `sim agent …` parse the line, make one call here and format the answer."""

from __future__ import annotations

from ccxcli.core import admin, engine
from ccxcli.core.consumption import is_premium
from ccxcli.errors import RuleError, UsageError

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from ccxcli.core.state import Agent, NodeState

MAX_AGENTS = 10000  # the most agents one emulated node holds


def agent(node: NodeState, aid: str) -> Agent:
    try:
        return node["agents"][aid]
    except KeyError:
        raise RuleError(f"No agent '{aid}' on node {node['name']}.") from None


def add(node: NodeState, aid: str, skills: list[str], supervisor: bool) -> Agent:
    admin.check_sync(node, f"add agent {aid}")
    if aid in node["agents"]:
        raise RuleError(f"Agent {aid} already exists.")
    if len(node["agents"]) >= MAX_AGENTS:
        raise RuleError(f"This node already has {MAX_AGENTS} agents, the most the lab supports.")
    new: Agent = {"skills": skills, "supervisor": supervisor, "in": False}
    admin.check_features(node["license_type"], {aid: new}, f"adding agent {aid}")
    node["agents"][aid] = new
    return new


def modify(node: NodeState, t: int, aid: str, skills: list[str] | None, supervisor: bool | None) -> Agent:
    """Change an agent's skills or supervisor role (None: keep); a logged-in agent whose
    change needs more licenses is admitted like a new login."""
    new = agent(node, aid).copy()
    admin.check_sync(node, f"modify agent {aid}")
    if skills:
        new["skills"] = skills
    if supervisor is not None:
        new["supervisor"] = supervisor
    admin.check_features(node["license_type"], {aid: new}, f"changing agent {aid}")
    admin.apply_agents(node, t, {aid: new}, f"changing agent {aid}")
    return new


def delete(node: NodeState, t: int, aid: str) -> None:
    agent(node, aid)
    admin.check_sync(node, f"delete agent {aid}")
    del node["agents"][aid]
    engine.usage_changed(node, t)


def _logged_in(ag: Agent) -> Agent:
    new = ag.copy()
    new["in"] = True
    return new


def login(node: NodeState, t: int, ids: list[str], count: int | None = None, premium: bool = False) -> list[str]:
    """Log in the named agents and, with `count`, that many more logged-out agents of the
    kind asked (premium or standard), creating `auto-prem-NNNN` / `auto-std-NNNN` agents
    when there are too few (creating them is Unified CM synchronization). All or nothing:
    returns the agents logged in."""
    changes: dict[str, Agent] = {aid: _logged_in(agent(node, aid)) for aid in ids}
    if count is not None:
        free = [
            aid
            for aid, ag in sorted(node["agents"].items())
            if not ag["in"] and aid not in changes and is_premium(ag) == premium
        ][:count]
        for aid in free:
            changes[aid] = _logged_in(node["agents"][aid])
        missing = count - len(free)
        if missing:
            admin.check_sync(node, f"create {missing} agents")
            if len(node["agents"]) + missing > MAX_AGENTS:
                raise RuleError(f"That would exceed the {MAX_AGENTS} agents the lab supports.")
            prefix = "auto-prem" if premium else "auto-std"
            n = 1
            while missing:
                aid = f"{prefix}-{n:04d}"
                n += 1
                if aid in node["agents"]:
                    continue
                changes[aid] = {"skills": ["chat", "voice"] if premium else ["voice"], "supervisor": False, "in": True}
                missing -= 1
    if not changes:
        raise UsageError("Name the agents to log in, or give --count N.")
    admin.apply_agents(node, t, changes, f"logging in {len(changes)} agent{'s' if len(changes) != 1 else ''}")
    return sorted(changes)


def logout(node: NodeState, t: int, ids: list[str], everyone: bool = False) -> list[str]:
    """Log out the named agents (or every logged-in one); always allowed."""
    if everyone:
        ids = [aid for aid, ag in node["agents"].items() if ag["in"]]
    else:
        ids = [aid for aid in ids if agent(node, aid)]
        if not ids:
            raise UsageError("Name the agents to log out, or give --all.")
    for aid in ids:
        node["agents"][aid]["in"] = False
    engine.usage_changed(node, t)
    return sorted(ids)
