"""The node's state, typed: what a node's `state.json` holds, declared once. The file
validator (`core/shape.py`) is checked against these declarations by
`tests/test_state_types.py`, key by key, so the two cannot drift.

Imported for type checking only (`if TYPE_CHECKING:`): a one-shot command does not pay for
`typing` at run time."""

from __future__ import annotations

import sys
from typing import Any, Literal, TypedDict

if sys.version_info >= (3, 11):
    from typing import NotRequired
else:  # Python 3.10: typer brings typing_extensions
    from typing_extensions import NotRequired

Counts = dict[str, int]  # license alias -> count
# The logs are JSON arrays of mixed items, read back as lists:
Event = list[Any]  # [time, severity, text]
UsageEntry = list[Any]  # [time, counts]
ReportEntry = list[Any]  # [time, counts or None, status]


# "in" is a keyword: the class form cannot name it
Agent = TypedDict("Agent", {"skills": list[str], "supervisor": bool, "in": bool})


class Ports(TypedDict):
    inbound: int
    outbound: int
    ivr: int


class Control(TypedDict):
    overage: bool
    agent_seats: NotRequired[int]
    premium_seats: NotRequired[int]
    standard_seats: NotRequired[int]
    outbound_ports: NotRequired[int]
    ivr_ports: NotRequired[int]


class ControlChanges(TypedDict, total=False):
    """What `license control` may change at once (the fields of `Control`)."""

    overage: bool
    agent_seats: int
    premium_seats: int
    standard_seats: int
    outbound_ports: int
    ivr_ports: int


PortKind = Literal["inbound", "outbound", "ivr"]
ControlLimit = Literal["agent_seats", "premium_seats", "standard_seats", "outbound_ports", "ivr_ports"]


class Transport(TypedDict):
    mode: str  # "direct" (Call Home), "smart" (Smart Transport), "proxy", "gateway", "ssm-satellite"
    url: NotRequired[str]
    host: NotRequired[str]
    port: NotRequired[int]
    user: NotRequired[str]
    password: NotRequired[str]


class Registration(TypedDict):
    status: str  # "UNREGISTERED", "REGISTERED", "REGISTRATION_EXPIRED"
    initial: NotRequired[int]
    renew_attempt: NotRequired[int]
    renew_ok: NotRequired[bool]
    id_ok: NotRequired[int]
    next_renew: NotRequired[int]
    expires: NotRequired[int]
    smart_account: NotRequired[str]
    virtual_account: NotRequired[str]
    instance: NotRequired[int]
    ssm: NotRequired[str]
    export: NotRequired[bool]
    certificate: NotRequired[str]


class Registered(TypedDict, total=False):
    """What the SSM answers a registration with (kept in `Registration`)."""

    smart_account: str
    virtual_account: str
    instance: int
    ssm: str
    export: bool
    certificate: str


class ReportAnswer(TypedDict):
    """What the SSM answers a usage report with: its pool's version, and what the pool lacks."""

    version: int | None
    deficit: NotRequired[Counts]


class AuthState(TypedDict):
    attempt: NotRequired[int]
    attempt_ok: NotRequired[bool]
    ok: NotRequired[int]
    next: NotRequired[int]
    expired: NotRequired[bool]


class Evaluation(TypedDict):
    used: int
    since: int | None
    expired: bool


class FailedReport(TypedDict):
    sent: Counts
    network: bool


class Compliance(TypedDict):
    count: int
    ooc: bool
    locked: Counts | None
    last_report: int | None
    outcome: str | None  # "failed", "over", "compliant"
    reported: Counts | None
    version: int | None
    ooc_since: NotRequired[int | None]
    failed: NotRequired[FailedReport]


class Enforcement(TypedDict):
    reason: str  # "OOC_EXPIRY", "AUTH_EXPIRY", "EVAL_EXPIRY"
    since: int


class PendingRequest(TypedDict):
    code: str
    piid: str
    key: NotRequired[str]
    at: int
    seq: int


class Term(TypedDict):
    """Licenses of one subscription in an Authorization Code (or a pool): `count` of `alias`
    from `starts` (inclusive) to `ends` (exclusive), epoch seconds at 00:00 UTC."""

    alias: str
    count: int
    starts: int
    ends: int
    sub: str


class Installed(TypedDict):
    piid: str
    key: NotRequired[str]
    counts: Counts
    timestamp: int
    at: int
    updated: NotRequired[int]
    terms: NotRequired[list[Term]]  # entitlements counted only during their subscription term


class Reservation(TypedDict):
    enabled: bool
    seq: int
    last_ts: NotRequired[int]
    secret: NotRequired[str]
    request: NotRequired[PendingRequest | None]
    installed: NotRequired[Installed | None]
    spare_keys: NotRequired[dict[str, str]]
    confirmation: NotRequired[str | None]
    return_code: NotRequired[str | None]
    # the lab's reading of the disputed SLR rule (`sim lab slr-tiers`): True when a higher tier
    # does not cover a lower one under a reservation; absent: the seed's reading (it does)
    strict_tiers: NotRequired[bool]


class Outbox(TypedDict):
    id: str
    kind: str  # "register", "deregister", "renew_auth", "renew_id"
    t: int
    token: NotRequired[str]
    force: NotRequired[bool]
    sent: NotRequired[bool]
    proof: NotRequired[str]  # a registration's secret (the node's, once it is registered)


class Alert(TypedDict):
    since: int
    detail: str


class ClassicLicense(TypedDict):
    serial: str
    issued: str
    counts: Counts
    installed: int


class ClassicFile(TypedDict):
    """A classic license file as read (`ssm/core/classic.read_file`), before it is installed."""

    mac: str
    serial: str
    issued: str
    counts: Counts


class Syslog(TypedDict):
    """Remote syslog (`utils remotesyslog`): where events go, and how far they went (every
    event up to time `after`, and `count_at` of those logged at that very time)."""

    protocol: str  # udp, tcp, tls
    host: NotRequired[str]
    port: NotRequired[int]
    ca: NotRequired[str]  # PEM the TLS server's certificate must chain to
    error: NotRequired[str]  # why the last delivery failed (kept until one succeeds)
    after: int
    count_at: int


class NodeState(TypedDict):
    schema: int
    name: str
    uuid: str
    sn: str
    hostname: str
    created: int
    time: NotRequired[int]
    booted: NotRequired[int]
    version: NotRequired[str]
    inactive_version: NotRequired[str]
    ova: NotRequired[str]  # "100", "300", "400"
    wfo: NotRequired[bool]
    publisher: NotRequired[str]  # the publisher this node is the subscriber of (core/cluster.py)
    classic_license: NotRequired[ClassicLicense]
    faults: NotRequired[list[str]]
    clock_skew: NotRequired[int]  # seconds the node's clock is ahead (+) or behind (-) the network's
    syslog: NotRequired[Syslog]
    license_type: str
    classic: bool
    network: bool
    send_hostname: bool
    agents: dict[str, Agent]
    ports: Ports
    control: Control
    transport: Transport
    reg: Registration
    auth: AuthState
    eval: Evaluation
    comp: Compliance
    enforce: Enforcement | None
    peak: Counts
    slr: Reservation
    outbox: NotRequired[Outbox | None]
    # The node's registration secret (64 hex digits): made at its first registration, given to
    # the SSM then, and used to prove every later message to a served SSM (HMAC-SHA256); cleared
    # by a factory reset. The UUID alone, which any viewer of the portal reads, proves nothing.
    trust_roots: NotRequired[list[str]]  # the Cisco root CAs it trusts (absent: both, a current release)
    proof: NotRequired[str]
    alerts: dict[str, Alert]
    events: list[Event]
    usage_log: list[UsageEntry]
    report_log: list[ReportEntry]


class ConsumptionRow(TypedDict):
    """One interval of the License Consumption report (`core/report.rows`)."""

    start: str
    end: str
    actual: Counts
    reported: Counts | None
    status: str


# --- The status document (`show license status --json`, built by core/status.py) -----------------


class RegistrationDoc(TypedDict):
    status: str
    smart_account: str | None
    virtual_account: str | None
    export_controlled: bool
    initial: str | None
    last_renewal_attempt: str | None
    last_renewal_ok: bool | None
    next_renewal: str | None
    expires: str | None
    instance_id: int | None
    ssm: str | None


class AuthorizationDoc(TypedDict):
    status: str
    since: str | None
    last_communication: str | None
    last_communication_ok: bool | None
    next_communication: str | None
    expires: str | None


class EvaluationDoc(TypedDict):
    remaining_seconds: int
    expired: bool
    in_use: bool


class EnforcementDoc(TypedDict):
    active: bool
    reason: str | None
    since: str | None
    deadline: str | None


class ComplianceDoc(TypedDict):
    consecutive_overage_reports: int
    out_of_compliance_since: str | None
    locked_usage: Counts | None
    last_report: str | None
    last_report_outcome: str | None


class UsageRow(TypedDict):
    alias: str
    name: str
    description: str
    tag: str
    count: int
    reported: int | None
    entitled: int | None
    reserved: int | None
    status: str


class TermDoc(TypedDict):
    """A subscription term of the installed reservation, as `show license reservation` shows it."""

    alias: str
    count: int
    subscription: str
    start_date: str
    end_date: str  # the last day it counts
    in_force: bool
    ended: bool


class ReservationDoc(TypedDict):
    enabled: bool
    status: str
    request_code: str | None
    reserved: Counts
    terms: list[TermDoc]  # of `reserved`, the licenses of a subscription term
    authorization_timestamp: int | None
    last_confirmation_code: str | None
    last_return_code: str | None


class AlertDoc(TypedDict):
    key: str
    since: str
    message: str
    detail: str


class OvaDoc(TypedDict):
    profile: str
    max_agents: int


class Ova(OvaDoc):
    """An OVA profile's sizing (`core/identity.OVA`)."""

    vcpus: int
    memory_kb: int
    disk_kb: int


class StatusDoc(TypedDict):
    now: str
    node: str
    hostname: str
    udi: dict[str, str]
    license_type: str
    license_type_name: str
    smart_licensing: str
    registration: RegistrationDoc
    authorization: AuthorizationDoc
    evaluation: EvaluationDoc
    enforcement: EnforcementDoc
    compliance: ComplianceDoc
    usage: list[UsageRow]
    reservation: ReservationDoc
    transport: Transport  # without its password
    network: str
    send_hostname: bool
    license_control: Control
    ports: Ports
    ova: OvaDoc
    alerts: list[AlertDoc]
