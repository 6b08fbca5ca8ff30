"""What the SSM core hands its callers (the portal, the APIs, `ccx-ssm`): one typed row per
thing the SSM keeps, as read from its database."""

from __future__ import annotations

from typing import TypedDict


class VaRow(TypedDict):
    id: int
    name: str
    default: bool
    description: str
    access: str  # PUBLIC or PRIVATE
    instances: int


class LicenseRow(TypedDict):
    """A license of a virtual account's pool. purchased == available + in_use + reserved."""

    alias: str
    name: str
    tag: str
    purchased: int
    in_use: int  # what the pool covers of what instances report
    reported_usage: int  # what instances report, covered or not
    reserved: int
    available: int
    balance: int  # negative: the pool's deficit


class TermRow(TypedDict):
    """A subscription term: licenses that count in the pool from a start date to an end date."""

    subscription: str  # Sub100001, …
    va: str
    alias: str
    quantity: int
    start_date: str  # YYYY-MM-DD
    end_date: str  # the last day it counts
    status: str  # NOT_STARTED, ACTIVE, EXPIRED


class TokenRow(TypedDict):
    token: str
    va: str
    created: str
    expires: str
    uses: int
    max_uses: int | None
    description: str
    export_controlled: bool
    state: str  # active, expired, revoked, used up


class InstanceRow(TypedDict):
    id: int
    sn: str
    uuid: str
    hostname: str
    va: str
    kind: str  # smart, slr or mirror
    license_type: str | None
    registered: str
    last_contact: str
    usage: dict[str, int]
    via: str | None  # the SSM On-Prem a mirrored instance came from


class ReservationRow(TypedDict):
    id: int  # the product instance's
    sn: str
    va: str
    state: str  # authorized, pending confirmation, returned, released (forced)
    reserved: dict[str, int]  # what its newest Authorization Code holds
    held: dict[str, int]  # what the pool holds for it now
    issued: str
    returned: str | None


class EventRow(TypedDict):
    time: str
    kind: str
    message: str
    virtual_accounts: list[str]
    user: str  # who: a portal user, an API client, a node, the command line ("" before schema 11)


class AlertRow(TypedDict):
    severity: str  # major, minor or info
    type: str
    va: str  # the virtual account it concerns ("" or "-": the account as a whole)
    message: str
    source: str  # what raised it, as CSSM's Source column names it: a virtual account, an instance, an SSM
    due: str | None  # Action Due: by when something must be done, where a deadline follows


# What an instance reported from one time to another (`from` is a Python keyword).
UsagePeriod = TypedDict("UsagePeriod", {"from": str, "to": str, "usage": dict[str, int]})


class InstanceDetail(InstanceRow):
    """An instance with what it reported, period by period (newest last)."""

    usage_history: list[UsagePeriod]
