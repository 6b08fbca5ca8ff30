"""Bringing the nodes of a lab forward in virtual time, event by event, in timestamp
order across nodes (SPEC §1). Work grows with the number of changes, not the span.

Crash safety: before the first message of a clock move reaches an SSM, the nodes' state
and the move's target (`moving_to` in lab.json) are saved. Every message of a catch-up
has an id made of the instance and its time, and the SSM answers a message it has seen
before with the answer it gave then. So when a process dies mid-move, the next command
redoes the move from the saved states (`finish_move`), sends the same messages, gets the
same answers, and node and SSM agree again.
"""

from __future__ import annotations

import heapq

from ccxcli.clock import MAX_TIME
from ccxcli.core import engine, failures
from ccxcli.core import timers as T
from ccxcli.errors import CcxError, InstanceGone, StoreError
from ccxcli.session import scratch
from ccxcli.session.link import LabLink, ssm_of
from ccxcli.store.lab import DEFAULT_SSM, LabStore

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from collections.abc import Callable

    from ccxcli.core.state import NodeState

MAX_STEPS = 2_000_000


class Moved:
    """What a clock move did: the events it processed, per node what happened (reports,
    renewals… by count), and the nodes it left behind (name -> why)."""

    def __init__(self, steps: int, tally: dict[str, dict[str, int]], skipped: dict[str, str]) -> None:
        self.steps, self.tally, self.skipped = steps, tally, skipped


def move(lab: LabStore, target: int, progress: Callable[[float], None] | None = None) -> Moved:
    """Move the lab's frozen clock to `target`, bringing every node along. `progress` is
    told how far the move has come (seconds of virtual time from its start), for a display."""
    start = lab.now()
    s = scratch.of(lab)
    s.tally = {}
    steps = catch_up(lab, target, set_clock=True, progress=(lambda t: progress(t - start)) if progress else None)
    lab.clock.set(target)
    lab.data.pop("moving_to", None)
    return Moved(steps, s.tally, dict(s.skipped))


def finish_move(lab: LabStore) -> None:
    """Complete a clock move a killed process left under way; bring a realtime clock's
    nodes to now."""
    pending = lab.data.get("moving_to")
    if pending is not None:
        catch_up(lab, pending["to"], set_clock=pending["clock"])
        if pending["clock"] and pending["to"] > lab.clock.now():
            lab.clock.set(pending["to"])
        lab.data.pop("moving_to", None)
    if lab.clock.realtime:
        catch_up(lab, lab.now())
    lab.commit()


def _ready(lab: LabStore, target: int) -> list[NodeState]:
    """The nodes that can move (a corrupt one is skipped: the clock moves on without
    it), each with a message left in its outbox delivered first."""
    from ccxcli.session import exchange

    nodes = []
    for name in lab.node_names():
        try:
            node = lab.load(name)
        except StoreError as e:
            scratch.of(lab).skipped[name] = e.message
            continue
        if node.get("outbox"):
            exchange.replay(lab, node)
        if node.get("time", target) < target:
            nodes.append(node)
    return nodes


def catch_up(lab: LabStore, target: int, set_clock: bool = False, progress: Callable[[int], None] | None = None) -> int:
    """Process every due event of every node (and every connected SSM On-Prem's
    synchronization) up to `target` (inclusive); return how many."""
    return _catch_up(lab, _ready(lab, target), target, set_clock, _ssm_events(lab), progress)


def catch_up_one(lab: LabStore, node: NodeState, target: int) -> int:
    """One node left behind (or with a message in its outbox) brought up to `target`."""
    from ccxcli.session import exchange

    if node.get("outbox"):
        exchange.replay(lab, node)
    steps = _catch_up(lab, [node], target, False, _terms(lab)) if node.get("time", target) < target else 0
    lab.commit()
    return steps


def _ssm_events(lab: LabStore) -> dict[str, int]:
    """When each connected SSM On-Prem of the lab synchronizes next ("sync:NAME") and when a
    subscription term of an SSM of the lab next starts or ends ("term:NAME")."""
    names = [n for n in lab.ssm_names() if n != DEFAULT_SSM]
    out: dict[str, int] = {}
    if names:
        from ccxcli.ssm.core import sync

        out.update({"sync:" + n: due for n in names if (due := sync.due(lab.ssm_dir(n))) is not None})
    return out | _terms(lab)


def _terms(lab: LabStore) -> dict[str, int]:
    """When a subscription term of an SSM of the lab next starts or ends ("term:NAME")."""
    out: dict[str, int] = {}
    for name in lab.ssm_names():
        try:
            change = _term_change(lab, name)
        except StoreError:
            continue
        if change is not None:
            out["term:" + name] = change
    return out


def _term_change(lab: LabStore, name: str) -> int | None:
    from ccxcli.ssm.core import subscriptions

    return subscriptions.next_change(ssm_of(lab, name))


def _catch_up(
    lab: LabStore,
    nodes: list[NodeState],
    target: int,
    set_clock: bool,
    events: dict[str, int],
    progress: Callable[[int], None] | None = None,
) -> int:
    if not nodes and not events:
        return 0
    link = LabLink(lab)
    try:
        return _steps(lab, link, nodes, target, set_clock, events, progress)
    finally:
        link.close()


class _Agenda:
    """The next due event of every node moving, in a heap: a clock move costs what its
    events and nodes cost, not their product. A node's entry is worked out again after each
    of its own events, and for every node of a virtual account whose pool version an event
    changed (its nodes report at the next interval); an outdated entry is dropped when it
    comes up."""

    def __init__(self, link: LabLink, nodes: list[NodeState]) -> None:
        self.link = link
        self.nodes = {node["name"]: node for node in nodes}
        self.by_uuid = {node["uuid"]: node for node in nodes}
        self.due: dict[str, tuple[int, str] | None] = {}
        self.heap: list[tuple[int, str, str]] = []
        self.versions = link.pool_versions()
        for node in nodes:
            self.update(node)

    def update(self, node: NodeState) -> None:
        due = _earliest(
            engine.next_due(node, _pool_changed(self.link, node), node["time"]), failures.next_due(node, node["time"])
        )
        self.due[node["name"]] = due
        if due is not None:
            heapq.heappush(self.heap, (due[0], node["name"], due[1]))

    def first(self) -> tuple[int, str, str] | None:
        """The earliest due event (time, node name, kind), left in place."""
        while self.heap:
            t, name, kind = self.heap[0]
            if self.due.get(name) == (t, kind):
                return self.heap[0]
            heapq.heappop(self.heap)  # outdated
        return None

    def after(self, node: NodeState | None) -> None:
        """An event happened (to `node`, or an SSM On-Prem's synchronization)."""
        if node is not None:
            self.update(node)
        versions = self.link.pool_versions()
        if versions == self.versions:
            return
        changed: dict[str, list[str]] = {}
        for key, v in versions.items():
            if self.versions.get(key) != v:
                changed.setdefault(key[0], []).append(key[1])
        self.versions = versions
        for where, vas in changed.items():
            for uuid in self.link.uuids_in(where, vas):
                other = self.by_uuid.get(uuid)
                if other is not None and other is not node:
                    self.update(other)


def _steps(
    lab: LabStore,
    link: LabLink,
    nodes: list[NodeState],
    target: int,
    set_clock: bool,
    events: dict[str, int],
    progress: Callable[[int], None] | None,
) -> int:
    steps = 0
    agenda = _Agenda(link, nodes)
    while steps < MAX_STEPS:
        best: tuple[int, str, str, NodeState | None] | None = None
        for kind, when in events.items():
            if when <= target and (best is None or (when, "") < best[:2]):
                best = (when, "", kind, None)
        first = agenda.first()
        if first is not None and first[0] <= target and (best is None or first[:2] < best[:2]):
            best = (first[0], first[1], first[2], agenda.nodes[first[1]])
        if best is None:
            break
        if steps == 0:  # the states (and a move's target) are saved before any message leaves
            if set_clock:
                lab.data["moving_to"] = {"to": target, "clock": True}
            lab.commit()
        t, _, kind, due_node = best
        if progress is not None:
            progress(t)
        if due_node is None:  # an SSM On-Prem's synchronization, or a term's start or end
            events[kind] = _sync(lab, kind[5:], t, target) if kind.startswith("sync:") else _term(lab, kind[5:], t)
            agenda.after(None)
            steps += 1
            continue
        node = due_node
        _steady(link, node, t - 1)
        node["time"] = t
        _process(link, node, t, kind, target)
        agenda.after(node)
        steps += 1
    for node in nodes:
        _steady(link, node, target)
        engine.sync_eval(node, target)
        node["time"] = target
    return steps


def _sync(lab: LabStore, name: str, t: int, target: int) -> int:
    """A connected SSM On-Prem's daily synchronization; returns when the next is due. Within
    one clock move the ones that follow are applied as one, the last before the target (as
    periodic renewals are)."""
    from ccxcli.errors import CcxError
    from ccxcli.ssm.core import sync

    try:
        sync.run(lab.ssm_dir(name), lab.ssm_dir, t)
    except CcxError as e:
        sync.failed(lab.ssm_dir(name), t, e.message)  # logged on the on-prem; tried again at the next
    return sync.reschedule(lab.ssm_dir(name), t + max(1, (target - t) // sync.INTERVAL) * sync.INTERVAL)


def _term(lab: LabStore, name: str, t: int) -> int:
    """Subscription terms of an SSM of the lab start or end at `t`; when the next change is
    (after the move's target when there is none: nothing more is due)."""
    from ccxcli.ssm.core import subscriptions

    ssm = ssm_of(lab, name)
    subscriptions.settle(ssm, t)
    change = subscriptions.next_change(ssm)
    return MAX_TIME if change is None else change


def _steady(link: LabLink, node: NodeState, upto: int) -> None:
    """The reports due every 15 minutes up to `upto` that repeat the last one exactly are not
    stepped through one by one; they reach the SSM as one message (its last contact, usage
    history and Failed to Renew/Connect alerts see every interval)."""
    comp = node["comp"]
    if not engine.steady_reporting(node) or failures.active(node, "license-computation"):
        return
    last_report, reported = comp["last_report"], comp["reported"]
    if last_report is None or reported is None:  # steady reporting: the last report was delivered
        return
    first = T.next_boundary(last_report)
    last = upto - upto % T.REPORT_INTERVAL
    if last < first:
        return
    try:
        answer = link.report_batch(node, reported, first, last)
    except InstanceGone:
        engine.apply_instance_gone(node, first)
        return
    if answer is not None:
        engine.apply_steady(node, last)
        _count(link, node, "reports", (last - first) // T.REPORT_INTERVAL + 1)


def _count(link: LabLink, node: NodeState, what: str, n: int = 1) -> None:
    """What this move did to each node, for the summary `sim clock advance` prints."""
    tally = scratch.of(link.lab).tally.setdefault(node["name"], {})
    tally[what] = tally.get(what, 0) + n


def _earliest(*dues: tuple[int, str] | None) -> tuple[int, str] | None:
    return min((d for d in dues if d is not None), default=None)


def _pool_changed(link: LabLink, node: NodeState) -> bool:
    if node["reg"]["status"] != engine.REGISTERED or node["comp"]["outcome"] in (None, "failed"):
        return False
    return bool(link.pool_version(node) != node["comp"]["version"])


def _process(link: LabLink, node: NodeState, t: int, kind: str, target: int) -> None:
    try:
        _message(link, node, t, kind, target)
    except InstanceGone:
        engine.apply_instance_gone(node, t)


def _message(link: LabLink, node: NodeState, t: int, kind: str, target: int) -> None:
    if kind == "report":
        sent = engine.to_report(node)
        outcome = link.report(node, sent, t)
        engine.apply_report(node, t, sent, outcome)
        _count(link, node, "reports" if outcome is not None else "reports_failed")
    elif kind in ("auth_renew", "id_renew"):
        what = "auth" if kind == "auth_renew" else "id"
        apply = engine.apply_auth_renew if what == "auth" else engine.apply_id_renew
        try:
            link.renew(node, t, what)
        except InstanceGone:
            raise
        except CcxError:
            apply(node, t, False)
            _count(link, node, f"{what}_failed")
            return
        last, skipped = engine.renewals_up_to(t, target, T.AUTH_RENEW if what == "auth" else T.ID_RENEW)
        if skipped:
            t = last
            link.renew(node, t, what)
            kind_text = "authorization" if what == "auth" else "registration"
            engine.log(node, t, f"{skipped} further automatic {kind_text} renewals succeeded")
        apply(node, t, True)
        _count(link, node, what, 1 + skipped)
    elif kind == "computation":
        failures.apply_computation(node, t)
    else:
        engine.apply_timer(node, t, kind)
