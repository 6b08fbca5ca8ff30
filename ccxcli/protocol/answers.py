"""The SSM's answers to a node's messages, checked before the node applies them: an SSM
of the lab answers in-process, a served one over HTTPS, and whatever answers at a URL may
send anything. A malformed answer is a failed exchange (CommError), never a state the
node cannot load afterwards."""

from __future__ import annotations

from ccxcli.core.shape import REGISTERED, REPORTED, VERSION, conforms
from ccxcli.errors import CommError

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from ccxcli.core.state import Registered, ReportAnswer


def _bad(what: str, where: str) -> CommError:
    return CommError(
        f"Communication with SSM failed: {where} answered the {what} with something that is not an "
        "SSM answer; nothing was applied."
    )


def registered(answer: object, where: str) -> Registered:
    if not isinstance(answer, dict) or not conforms(REGISTERED, answer):
        raise _bad("registration", where)
    return {
        "smart_account": answer["smart_account"],
        "virtual_account": answer["virtual_account"],
        "instance": answer["instance"],
        "export": answer["export"],
        "certificate": answer["certificate"],
    }


def reported(answer: object, where: str) -> ReportAnswer:
    if not isinstance(answer, dict) or not conforms(REPORTED, answer):
        raise _bad("usage report", where)
    out: ReportAnswer = {"version": answer["version"]}
    if "deficit" in answer:
        out["deficit"] = answer["deficit"]
    return out


def version(answer: object, where: str) -> int | None:
    if not conforms(VERSION, answer):
        raise _bad("pool version question", where)
    return answer if isinstance(answer, int) else None
