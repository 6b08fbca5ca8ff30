"""The session layer: the one place that opens the lab, finishes what a killed process left
unfinished, runs a command's handler and commits what it changed (or forgets it when the
command is refused). Bringing nodes forward in time (`life`) and the node↔SSM exchanges
(`exchange`, `link`) are run from here and from the handlers' one call into this layer,
never by the lab store (`lab`), which only loads and saves."""

from __future__ import annotations

from weakref import WeakKeyDictionary

from ccxcli.errors import RuleError
from ccxcli.runtime import Outcome, Runtime
from ccxcli.session import scratch
from ccxcli.session.forward import deliver, notify_ssms
from ccxcli.store.lab import DEFAULT_NODE, DEFAULT_SSM, LabStore

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    from ccxcli.core.state import NodeState
    from ccxcli.session.link import LabLink
    from ccxcli.ssm.core.db import SsmDb
    from ccxcli.store.lab import PathLike

    T = TypeVar("T")


_SHARED: WeakKeyDictionary[Runtime, LabStore] = WeakKeyDictionary()


def shared_lab(rt: Runtime) -> LabStore | None:
    """The lab script mode keeps open (and locked) across lines while its input keeps coming, if any (`Shared`)."""
    return _SHARED.get(rt)


def create_default(lab: LabStore) -> None:
    """What a fresh lab holds (the embedded default): node uccx, SSM cloud with demo licenses."""
    from ccxcli.ssm.core.db import SsmDb  # sqlite3 and cryptography: only when a lab is made

    SsmDb.create(lab.ssm_dir(DEFAULT_SSM), account="Demo Smart Account", demo=True, now=lab.clock.frozen).close()
    lab.add_node(DEFAULT_NODE)


def open_lab(home: PathLike) -> LabStore:
    """The lab at `home`, to enter (`with open_lab(home) as lab`): made with the embedded
    default when it does not exist yet."""
    return LabStore(home, create_default)


def settle(lab: LabStore) -> None:
    """Finish what a killed process left unfinished (a clock move under way), and bring a
    realtime clock's nodes to now. Idempotent; cheap when there is nothing to do."""
    s = scratch.of(lab)
    if lab.data.get("adopting") and not s.settling:  # a scenario's node whose SSM side committed
        from ccxcli.session.adoption import finish

        finish(lab)
    if s.settling or (lab.data.get("moving_to") is None and not lab.clock.realtime):
        return
    from ccxcli.session.life import finish_move

    s.settling = True
    try:
        finish_move(lab)
    finally:
        s.settling = False


def ready(lab: LabStore, name: str) -> NodeState:
    """A node ready to use: a message a killed process left in its outbox is delivered, and
    a node the clock left behind (it was corrupt, or a process died while saving) is brought
    up to now. StoreError if its state file is corrupt; UsageError if there is no such node."""
    node = lab.load(name)
    s = scratch.of(lab)
    if not s.settling and (node.get("outbox") or node.get("time", lab.now()) < lab.now()):
        from ccxcli.session.life import catch_up_one

        s.settling = True
        try:
            catch_up_one(lab, node, lab.now())
        finally:
            s.settling = False
    return node


def reset_lab(rt: Runtime) -> None:
    """Make the lab a fresh one again (the embedded default is created when it is next
    opened); nothing of the old lab is read, so a corrupt lab can be reset."""
    from ccxcli.store.lab import reset_home

    shared = shared_lab(rt)
    if shared is not None:  # the shell holds the lab: reset it in place
        shared.reset()
    else:
        reset_home(rt.home)


class Ctx:
    """What a handler gets: the runtime, and the lab opened (locked and settled) on first use."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._lab: LabStore | None = None

    @property
    def lab(self) -> LabStore:
        shared = shared_lab(self.rt)
        if shared is not None:
            settle(shared)
            return shared
        if self._lab is None:
            lab = open_lab(self.rt.home)
            lab.__enter__()
            self._lab = lab
            try:
                settle(lab)
            except BaseException:
                self.close()
                raise
        return self._lab

    @property
    def opened(self) -> LabStore | None:
        """The lab this context opened itself, if it did."""
        return self._lab

    @property
    def node(self) -> NodeState:
        """This session's node, ready to use."""
        return ready(self.lab, self.rt.node)

    def node_named(self, name: str) -> NodeState:
        """Another node of the lab, ready to use."""
        return ready(self.lab, name)

    @property
    def licensed_node(self) -> NodeState:
        """The node whose licenses this session's usage counts on: itself, or for the subscriber
        of a cluster its publisher (`core/cluster.py`)."""
        node = self.node
        publisher = node.get("publisher")
        return node if publisher is None else ready(self.lab, publisher)

    @property
    def now(self) -> int:
        return self.lab.now()

    def link(self) -> LabLink:
        from ccxcli.session.link import LabLink

        return LabLink(self.lab)

    def ssm(self, name: str) -> SsmDb:
        """An SSM of the lab, opened once for this command."""
        from ccxcli.session.link import ssm_of

        return ssm_of(self.lab, name)

    def agent_ready(self) -> None:
        """The Smart Agent initializes (registration, transport change, reservation install,
        restart); a simulated failure raises its alert, which is kept, and refuses the command."""
        from ccxcli.core.failures import agent_init

        problem = agent_init(self.node, self.now)
        if problem:
            self.keep()  # the alert raised is a fact, not part of the refused change
            raise RuleError(problem)

    def keep(self) -> None:
        """Save now what the command made a fact (an alert raised) before it is refused:
        a refused command changes nothing else."""
        self.lab.commit()

    def close(self) -> None:
        if self._lab is not None:
            self._lab.__exit__()
            self._lab = None


class Shared:
    """Script mode: one lab kept open (and locked) across the lines of a script while its
    input keeps coming, saved and released when it stops coming (`shared_lab`)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.ctx: Ctx | None = None

    @property
    def holding(self) -> bool:
        return self.rt in _SHARED

    def open(self) -> None:
        if self.holding:
            return
        ctx = Ctx(self.rt)
        try:
            _SHARED[self.rt] = ctx.lab
        except BaseException:
            ctx.close()
            raise
        self.ctx = ctx

    def close(self) -> None:
        """Save what the lines did and release the lab (released even when saving fails)."""
        try:
            shared = shared_lab(self.rt)
            if shared is not None:
                shared.commit()
        finally:
            _SHARED.pop(self.rt, None)
            if self.ctx is not None:
                self.ctx.close()
                self.ctx = None


def run(rt: Runtime, fn: Callable[[Ctx], T], commit: bool = True) -> T:
    """Call `fn` with a fresh context; commit what it changed, or forget it when it raises.
    In script mode the lab stays open across lines: a refused line goes back to the
    savepoint taken before it, and a code is saved before it is printed."""
    ctx = Ctx(rt)
    shared = shared_lab(rt)
    point = shared.savepoint() if shared is not None else None
    try:
        result = fn(ctx)
        if commit and ctx.opened is not None:
            ctx.opened.commit()
            if deliver(ctx.opened):  # remote syslog: after the changes are saved
                ctx.opened.commit()
            notify_ssms(ctx.opened)  # the SSMs' email notifications, after their own commits
        elif commit and shared is not None:
            deliver(shared)  # saved with the script's other changes
            notify_ssms(shared)
        if commit and shared is not None and isinstance(result, Outcome) and result.carry:
            shared.commit()  # a code is saved before it is printed
        return result
    except BaseException:
        if point is not None and shared is not None:
            shared.restore(point)  # a refused command changes nothing
        raise
    finally:
        ctx.close()
