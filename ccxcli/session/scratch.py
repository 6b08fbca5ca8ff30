"""What one opening of a lab keeps for the session layer while it is open, beside the lab
store (which only loads and saves): the SSM databases its commands opened, the nodes a clock
move left behind, what each move did per node, and whether nodes are being brought forward.

Kept per `LabStore` object and let go with it: the store tells its `on_release` listeners
when it closes or when its files are replaced under its lock (a reset, a snapshot loaded)."""

from __future__ import annotations

from weakref import WeakKeyDictionary

from ccxcli.store.lab import LabStore

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from ccxcli.ssm.core.db import SsmDb


class Scratch:
    def __init__(self) -> None:
        self.ssms: dict[str, SsmDb] = {}  # SSM databases opened by name; closed with the lab
        self.skipped: dict[str, str] = {}  # nodes left behind by the clock: name -> why
        self.tally: dict[str, dict[str, int]] = {}  # what the current clock move did, per node
        self.settling = False  # nodes are being brought forward (no second catch-up inside it)

    def release(self) -> None:
        for ssm in self.ssms.values():
            ssm.close()
        self.ssms.clear()
        self.skipped.clear()


_OF: WeakKeyDictionary[LabStore, Scratch] = WeakKeyDictionary()


def of(lab: LabStore) -> Scratch:
    """This opening's scratch (made on first use)."""
    s = _OF.get(lab)
    if s is None:
        s = _OF[lab] = Scratch()
        lab.on_release.append(s.release)
    return s
