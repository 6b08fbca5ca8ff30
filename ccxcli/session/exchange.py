"""Node ↔ SSM exchanges started by a command (register, deregister, renew), each with
one commit order: record the message in the node's outbox and save; deliver it (the SSM
applies a message id once and answers it again the same way); apply the answer; save.

A message that a killed process left in the outbox is delivered again the next time the
node is used (`replay`), so the SSM and the node agree once the node next runs, whatever
the moment of the crash. Automatic messages (reports, automatic renewals) need no outbox:
see `life`.
"""

from __future__ import annotations

import secrets

from ccxcli.clock import iso
from ccxcli.core import engine
from ccxcli.errors import CcxError, CommError, InstanceGone
from ccxcli.faults import kill_point
from ccxcli.session.link import LabLink
from ccxcli.store.lab import LabStore

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from ccxcli.core.state import NodeState, Outbox, Registered


# Messages that may have been applied when no answer came back (the connection broke after
# the request was sent, the SSM was killed while answering): kept in the outbox and sent again,
# with the same id, by every command on the node until the SSM answers. A deregistration never
# sent at all (network down, connection refused) is applied on the node alone, as the
# appliance does, and the SSM keeps listing the instance.
KEPT = {"register": "registration", "deregister": "deregistration"}


def run(
    lab: LabStore, node: NodeState, kind: str, t: int, token: str | None = None, force: bool | None = None
) -> str | None:
    """Record, deliver, apply (a refusal restores the node as it was and raises). Returns a
    warning when the SSM could not be told and the change was applied on the node alone (a
    deregistration, as the appliance does), else None; what the SSM answered is on the node."""
    waiting = node.get("outbox")
    if waiting:  # a (de)registration whose answer never came: it is sent again before anything else
        raise CommError(
            f"The {KEPT.get(waiting['kind'], waiting['kind'])} sent at {iso(waiting['t'])} has had no answer from "
            "the SSM yet; it is sent again by each command on this node until the SSM answers (then this "
            "command can run)."
        )
    msg: Outbox = {"id": secrets.token_hex(8), "kind": kind, "t": t}
    if kind == "register":  # the node's registration secret: its own, or a new one kept once registered
        msg["proof"] = node.get("proof") or secrets.token_hex(32)
    if token is not None:
        msg["token"] = token
    if force is not None:
        msg["force"] = force
    node["outbox"] = msg
    lab.commit()
    kill_point("exchange-recorded")
    return _deliver(lab, node, msg, replay=False)


def replay(lab: LabStore, node: NodeState) -> None:
    """Deliver a message left in the node's outbox by a process that died."""
    msg = node.get("outbox")
    if msg is None:
        return
    try:
        _deliver(lab, node, msg, replay=True)
    except CcxError:
        pass  # what became of it is in the node's event log
    lab.commit()


def _deliver(lab: LabStore, node: NodeState, msg: Outbox, replay: bool) -> str | None:
    link = LabLink(lab)
    try:
        return _deliver_by(link, lab, node, msg, replay)
    finally:
        link.close()


def _deliver_by(link: LabLink, lab: LabStore, node: NodeState, msg: Outbox, replay: bool) -> str | None:
    kind, t = msg["kind"], msg["t"]
    answer: Registered | None = None
    try:
        if kind == "register":
            answer = link.register(node, msg)
        elif kind == "deregister":
            link.deregister(node, t, msg["id"])
        else:
            link.renew(node, t, "auth" if kind == "renew_auth" else "id", msg["id"])
    except CcxError as e:
        if kind in KEPT and isinstance(e, CommError) and (msg.get("sent") or type(e).__name__ == "NoAnswer"):
            # The SSM may have applied it: keep it, and send it again (same id) until it answers.
            msg["sent"] = True
            node["outbox"] = msg
            lab.commit()
            raise CommError(
                e.message
                if type(e).__name__ == "NoAnswer"
                else (f"{e.message} The {KEPT[kind]} sent earlier is kept and sent again until the SSM answers.")
            ) from None
        node.pop("outbox", None)
        _failed(node, msg, e, replay)
        lab.commit()  # the node as it was, plus what the failure is a fact of
        if kind == "deregister" and isinstance(e, CommError):
            return e.message
        raise
    kill_point("exchange-answered")
    node.pop("outbox", None)
    _apply(node, msg, answer, replay)
    return None


def _apply(node: NodeState, msg: Outbox, answer: Registered | None, replay: bool) -> None:
    kind, t = msg["kind"], msg["t"]
    if answer is not None:
        engine.apply_register(node, t, answer)
        if "proof" in msg:
            node["proof"] = msg["proof"]
    elif kind == "deregister":
        engine.apply_deregister(node, t)
    elif kind == "renew_auth":
        engine.apply_auth_renew(node, t, True, manual=True)
    else:
        engine.apply_id_renew(node, t, True, manual=True)
    if replay:
        engine.log(node, t, f"An interrupted {kind.replace('_', ' ')} exchange with the SSM was completed", 4)


def _failed(node: NodeState, msg: Outbox, e: CcxError, replay: bool) -> None:
    """What a refused or undelivered message leaves on the node."""
    kind, t = msg["kind"], msg["t"]
    if isinstance(e, InstanceGone):
        if kind == "deregister":
            engine.apply_deregister(node, t)  # the SSM applied it before: its answer was lost
        elif kind != "register":
            engine.apply_instance_gone(node, t)
    elif kind == "deregister" and isinstance(e, CommError):
        engine.apply_deregister(node, t)  # as the appliance: deregistered locally, the SSM still lists it
    elif kind.startswith("renew") and isinstance(e, CommError):
        apply = engine.apply_auth_renew if kind == "renew_auth" else engine.apply_id_renew
        apply(node, t, False, manual=True)
    if replay:
        engine.log(node, t, f"An interrupted {kind.replace('_', ' ')} exchange was not completed: {e.message}", 4)
