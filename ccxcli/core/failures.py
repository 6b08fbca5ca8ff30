"""Injected failures (`sim fault …`), pure: the two alerts nothing else can raise
(License Computation, Smart Agent Initialization) and failures of the SSM (errors, time-outs).

- license-computation: at each 15-minute computation the usage cannot be computed: the
  License Computation alert is raised and nothing is reported; the first computation after
  the fault is gone clears it.
- agent-init: the Smart Agent cannot initialize: registering, changing the transport,
  installing a reservation or restarting raise the Smart Agent Initialization alert and fail;
  the next successful initialization clears it.
- ssm-error / ssm-slow: the SSM answers every message with an error / does not answer in
  time: registrations, renewals and reports fail (exit 4) with the alerts their failures raise
  (Renew Authorization, Renew Registration, Entitlement Reporting); a failed report is tried
  again at the next interval once the fault is gone.
- clock-skew ±DURATION: the node's own clock is off the network's (NTP lost). Beyond
  MAX_SKEW the SSM's time checks fail: the signed messages' timestamps are outside what the
  SSM accepts, and the certificate is not valid yet (clock behind) or its validity is past
  the time the node claims (clock ahead); every exchange fails as ssm-error does, and
  `utils ntp status` shows the offset. The lab's virtual clock itself does not move.
"""

from __future__ import annotations

from ccxcli.core import engine
from ccxcli.core import timers as T

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from ccxcli.core.state import NodeState

FAULTS = {
    "license-computation": "license usage cannot be computed",
    "agent-init": "the Smart Agent cannot initialize",
    "ssm-error": "the SSM answers every message with an error",
    "ssm-slow": "the SSM does not answer in time",
}
CLEARED = {  # what turning a fault off gives back
    "license-computation": "license usage is computed again",
    "agent-init": "the Smart Agent initializes again",
    "ssm-error": "the SSM answers messages again",
    "ssm-slow": "the SSM answers in time again",
}


def effect(name: str, on: bool) -> str:
    """What a fault does when turned on, or what comes back when it is turned off."""
    return FAULTS[name] if on else CLEARED[name]


MAX_SKEW = 3600  # seconds of clock skew the SSM's time checks accept (our choice; NTP keeps a node within ms)


def skew(node: NodeState) -> int:
    return int(node.get("clock_skew", 0))


def set_skew(node: NodeState, t: int, seconds: int) -> bool:
    """Set the node's clock skew (0: in sync again); whether it changed."""
    if skew(node) == seconds:
        return False
    if seconds:
        node["clock_skew"] = seconds
    else:
        node.pop("clock_skew", None)  # a failed report is sent again at the next interval (engine.report_needed)
    text = f"the node's clock is {span(seconds)} {'ahead of' if seconds > 0 else 'behind'} the network's"
    engine.log(
        node,
        t,
        f"Simulated fault clock-skew {'on: ' + text if seconds else 'off: the clock is in sync'}",
        4 if seconds else 6,
    )
    return True


def span(seconds: int) -> str:
    s = abs(seconds)
    d, rest = divmod(s, 86400)
    h, rest = divmod(rest, 3600)
    m = rest // 60
    return " ".join(f"{n}{u}" for n, u in ((d, "d"), (h, "h"), (m, "m")) if n) or f"{s}s"


def skew_failure(node: NodeState) -> str | None:
    """The time check a skewed clock fails, or None."""
    off = skew(node)
    if abs(off) <= MAX_SKEW:
        return None
    if off < 0:
        why = (
            f"the SSM's certificate is not valid yet by this node's clock, {span(off)} behind the network's "
            "(clock skew)"
        )
    else:
        why = (
            f"the SSM rejected the message: its timestamp is {span(off)} ahead of the SSM's clock, more than the "
            f"{MAX_SKEW // 60} minutes it accepts (clock skew)"
        )
    return f"Communication with Cisco SSM failed: {why}; 'utils ntp status' shows the offset."


def active(node: NodeState, name: str) -> bool:
    return name in node.get("faults", ())


def set_fault(node: NodeState, t: int, name: str, on: bool) -> bool:
    """Turn a fault on or off; whether it changed."""
    faults = node.setdefault("faults", [])
    if (name in faults) == on:
        return False
    if on:
        faults.append(name)
    else:
        faults.remove(name)  # a failed report is sent again at the next interval (engine.report_needed)
    if not faults:
        node.pop("faults")
    engine.log(node, t, f"Simulated fault {name} {'on' if on else 'off'}: {effect(name, on)}", 4 if on else 6)
    return True


def next_due(node: NodeState, cursor: int) -> tuple[int, str] | None:
    """The next license computation that fails (fault on) or succeeds again (alert raised)."""
    if node["classic"]:
        return None
    failing, raised = active(node, "license-computation"), "computation" in node["alerts"]
    if failing != raised:
        return (T.next_boundary(cursor - 1 if cursor % T.REPORT_INTERVAL else cursor), "computation")
    return None


def apply_computation(node: NodeState, t: int) -> None:
    if active(node, "license-computation"):
        engine.raise_alert(node, t, "computation", "usage not computed; nothing is reported")
    else:
        engine.clear_alert(node, t, "computation")


def agent_init(node: NodeState, t: int) -> str | None:
    """A Smart Agent initialization: the failure's message, or None (the alert cleared)."""
    if active(node, "agent-init"):
        engine.raise_alert(node, t, "agent-init", "exception while initializing the Smart Agent")
        return "The Smart Agent could not initialize (simulated fault 'agent-init'); nothing was changed."
    engine.clear_alert(node, t, "agent-init")
    return None


def ssm_failure(node: NodeState) -> str | None:
    """The communication failure an SSM fault makes, or None."""
    skewed = skew_failure(node)
    if skewed:
        return skewed
    if active(node, "ssm-error"):
        return "Communication with Cisco SSM failed: the SSM answered with an error (simulated fault 'ssm-error')."
    if active(node, "ssm-slow"):
        return "Communication with Cisco SSM failed: no answer in time (simulated fault 'ssm-slow')."
    return None
