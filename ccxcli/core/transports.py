"""How a node reaches Cisco SSM, as VOS releases have it (pure): Call Home (`direct`, the
transport gateway URL on an SSM On-Prem) and Smart Transport (`smart`, the `SmartTransport`
URL on an SSM On-Prem), their default URLs, the line each writes when a message cannot be
sent, and the root certificate authorities a node trusts to reach Cisco's servers.

Public Cisco texts give the two default URLs and the two failure lines. The emulated node is a
UCCX 12.5, whose default is Call Home; newer releases default to Smart Transport, which
`license smart transport smart` sets (the fallback to the gateway they keep is not emulated). Cisco's
servers moved from the QuoVadis Root CA 2 to the IdenTrust Commercial Root CA 1 (Cisco's field
notice on the QuoVadis decommissioning): a node that trusts only the old root can no longer
send anything to Cisco SSM until its trust store gets the new one."""

from __future__ import annotations

TYPE_CHECKING = False  # `typing` is not imported at run time: it costs a one-shot command start-up
if TYPE_CHECKING:
    from ccxcli.core.state import Transport

SMART_URL = "https://smartreceiver.cisco.com/licservice/license"
CALLHOME_URL = "https://tools.cisco.com/its/service/oddce/services/DDCEService"
SMART_FAILED = "Communication message send error"
CALLHOME_FAILED = "Fail to send out Call Home HTTP message"
ROOTS = {"identrust": "IdenTrust Commercial Root CA 1", "quovadis": "QuoVadis Root CA 2"}
CISCO_ROOT = "identrust"  # what Cisco's servers chain to now (a lab may set it back: `sim lab cisco-root-ca`)


def is_smart(transport: Transport) -> bool:
    """Smart Transport (to Cisco SSM or an SSM On-Prem's SmartTransport URL), else Call Home."""
    return transport["mode"] in ("smart", "ssm-satellite")


def reaches_cisco(transport: Transport) -> bool:
    """Whether its messages go to Cisco's own servers (not to an SSM On-Prem)."""
    return transport["mode"] in ("direct", "proxy", "smart")


def url(transport: Transport) -> str:
    """The URL its messages are posted to."""
    if "url" in transport:
        return transport["url"]
    return SMART_URL if transport["mode"] == "smart" else CALLHOME_URL


def failed_line(transport: Transport) -> str:
    """What the Smart Agent logs when a message cannot be sent by this transport."""
    return SMART_FAILED if is_smart(transport) else CALLHOME_FAILED


def untrusted_root(trusted: list[str] | None, cisco_root: str) -> str | None:
    """Why Cisco's servers cannot be reached by a node trusting `trusted` (None: both roots, a
    current release) when they chain to `cisco_root`; None when they can."""
    if trusted is None or cisco_root in trusted:
        return None
    return (
        f"the server's certificate chains to {ROOTS[cisco_root]}, which this node does not trust (it trusts "
        f"{', '.join(ROOTS[r] for r in trusted) or 'no Cisco root'}): "
        "install the new root ('sim trust-store current' stands for the upgrade or import that does it)"
    )
