"""The SSM's email notifications, as CSSM's notification preferences have them: the
addresses to notify, a daily summary, and status notifications (an alert raised or
cleared).

`queue` compares the SSM's alerts with those it last notified and saves the messages to send
in its database (one transaction: a message is saved before it is sent); `deliver` sends
what is saved, over SMTP to the configured server or, when none is set, as `.eml` files in
the SSM folder's `outbox/`. A server that cannot be reached fails nothing: the messages wait
(the reason is kept) and go with the next delivery. A process killed between sending and
recording may send one twice (with the same Message-ID), never lose one.

Who calls them: every `ccx-ssm` command, every `ccx` command that reached an SSM of its lab,
and `ccx-ssm serve` after each change and once a minute. The daily summary goes with the
first of those on a new day of the SSM's clock.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ccxcli.clock import iso, wall_now
from ccxcli.errors import UsageError
from ccxcli.ssm.core import rules
from ccxcli.ssm.core.db import SsmDb
from ccxcli.ssm.core.rows import AlertRow

DAY = 86400
MAX_ADDRESSES = 20
MAX_BATCH = 200  # messages per delivery (the rest go with the next)
KEEP = 2000  # sent messages kept in the database (the newest)
_ADDRESS = re.compile(r"[^@\s,;<>\"']{1,64}@[A-Za-z0-9.-]{1,253}")
_DEFAULTS: dict[str, Any] = {"emails": [], "daily_summary": False, "status": True, "smtp": None, "sender": None}


def prefs(ssm: SsmDb) -> dict[str, Any]:
    saved = json.loads(ssm.meta.get("notify", "{}"))
    return {**_DEFAULTS, **saved}


def set_prefs(
    ssm: SsmDb,
    now: int,
    emails: list[str] | None = None,
    daily_summary: bool | None = None,
    status: bool | None = None,
    smtp: str | None = None,
    sender: str | None = None,
) -> dict[str, Any]:
    """Change the preferences (None: keep); `smtp` '' or 'none' clears the server (outbox)."""
    from ccxcli.values import plain_text

    p = prefs(ssm)
    if emails is not None:
        bad = [e for e in emails if not _ADDRESS.fullmatch(e)]
        if bad:
            raise UsageError(f"Not an email address: {bad[0][:80]!r}.")
        if len(emails) > MAX_ADDRESSES:
            raise UsageError(f"At most {MAX_ADDRESSES} addresses are notified.")
        p["emails"] = sorted(set(emails), key=emails.index)
    if sender is not None:
        if not _ADDRESS.fullmatch(sender):
            raise UsageError(f"Not an email address: {sender[:80]!r}.")
        p["sender"] = sender
    if smtp is not None:
        p["smtp"] = None if smtp.lower() in ("", "none") else _server(smtp)
    if daily_summary is not None:
        p["daily_summary"] = daily_summary
    if status is not None:
        p["status"] = status
    plain_text(json.dumps(p), "The notification preferences", 4096)
    with ssm.tx():
        ssm.set_meta("notify", json.dumps(p, sort_keys=True))
        if daily_summary:
            ssm.set_meta("summary_day", str(now // DAY))  # the first summary: tomorrow
        ssm.set_meta("notified", json.dumps(sorted(_keys(ssm, now))))  # from now on: changes only
        ssm.event(now, "notify", "Notification preferences changed: " + describe(p))
    return p


def _server(text: str) -> str:
    """`HOST` or `HOST:PORT` (25 by default)."""
    host, sep, port = text.strip().rpartition(":")
    if not sep:
        host, port = text.strip(), "25"
    host = host.strip("[]")
    if (
        not host
        or len(host) > 253
        or any(c.isspace() or c in "/@" or not c.isprintable() or not c.isascii() for c in host)
        or not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535)
    ):
        raise UsageError(f"Invalid SMTP server '{text[:80]}': use HOST or HOST:PORT (port 25 by default).")
    return f"{host}:{int(port)}"


def describe(p: dict[str, Any]) -> str:
    on = {True: "on", False: "off"}
    return (
        f"{', '.join(p['emails']) or 'no addresses'}; daily summary {on[p['daily_summary']]}; "
        f"status notifications {on[p['status']]}; via {p['smtp'] or 'the outbox folder'}"
    )


def _key(alert: AlertRow) -> str:
    """What makes an alert the same alert as time passes (its message may change)."""
    if alert["type"] in ("Insufficient Licenses", rules.UPCOMING_SYNC_DEADLINE, rules.SATELLITE_REMOVED):
        return f"{alert['type']}|{alert['va']}|{alert['source']}"
    return f"{alert['type']}|{alert['va']}|{alert['message'].split(' last contact')[0]}"


def _keys(ssm: SsmDb, now: int) -> set[str]:
    from ccxcli.ssm.core import smart  # only with notifications set: it brings `secrets` (OpenSSL), a start-up cost

    return {_key(a) for a in smart.alerts(ssm, now)}


def queue(ssm: SsmDb, now: int) -> int:
    """Save the notifications due now (alerts raised or cleared since the last ones, the
    daily summary of a new day); how many."""
    p = prefs(ssm)
    if not p["emails"]:
        return 0  # every ccx-ssm command gets here: nothing heavier than the preferences is read
    from ccxcli.ssm.core import smart  # it brings `secrets` (OpenSSL's hashlib): only when mail may be due

    current = {_key(a): a for a in smart.alerts(ssm, now)}
    before = set(json.loads(ssm.meta.get("notified", "[]")))
    day = now // DAY
    summary_due = p["daily_summary"] and int(ssm.meta.get("summary_day", day)) < day
    if set(current) == before and not summary_due:
        return 0
    mails: list[tuple[str, str]] = []
    if p["status"]:
        for k in sorted(set(current) - before):
            a = current[k]
            mails.append((f"Alert: {a['type']}{_in(a['va'])}", _alert_body(ssm, a, now, "raised")))
        for k in sorted(before - set(current)):
            kind, va = k.split("|")[:2]
            mails.append((f"Alert cleared: {kind}{_in(va)}", _cleared_body(ssm, kind, va, now)))
    if summary_due:
        mails.append((f"Daily Summary for Smart Account {ssm.account}", _summary(ssm, list(current.values()), now)))
    with ssm.tx() as db:
        for subject, body in mails:
            db.execute(
                "INSERT INTO mail(t, recipients, subject, body) VALUES (?, ?, ?, ?)",
                (now, json.dumps(p["emails"]), "Cisco Smart Software Manager: " + subject, body),
            )
        ssm.set_meta("notified", json.dumps(sorted(current)))
        if summary_due:
            ssm.set_meta("summary_day", str(day))
        db.execute("DELETE FROM mail WHERE sent=1 AND id <= (SELECT MAX(id) FROM mail) - ?", (KEEP,))
    return len(mails)


def _in(va: str) -> str:
    return f" in virtual account {va}" if va not in ("", "-") else ""


def _foot(ssm: SsmDb, now: int) -> str:
    return (
        f"\n\nSmart Account: {ssm.account}\nSSM: {ssm.name}{' (SSM On-Prem)' if ssm.on_prem else ''}\n"
        f"Time (the SSM's clock): {iso(now)}\n\nSent by ccxcli, a synthetic stand-in of Cisco Smart Software "
        "Manager for rehearsals; change these notifications with 'ccx-ssm notify set'.\n"
    )


def _alert_body(ssm: SsmDb, a: AlertRow, now: int, what: str) -> str:
    return (
        f"An alert was {what}.\n\nAlert: {a['type']}\nSeverity: {a['severity'].title()}\n"
        f"Virtual Account: {a['va'] or '(the smart account)'}\nDetails: {a['message']}"
    ) + _foot(ssm, now)


def _cleared_body(ssm: SsmDb, kind: str, va: str, now: int) -> str:
    return f"An alert was cleared.\n\nAlert: {kind}\nVirtual Account: {va or '(the smart account)'}" + _foot(ssm, now)


def _summary(ssm: SsmDb, alerts: list[AlertRow], now: int) -> str:
    lines = [f"Daily summary of Smart Account {ssm.account} on {iso(now)[:10]}.", "", f"Alerts: {len(alerts)}"]
    lines += [f"  {a['severity'].title()}: {a['type']}{_in(a['va'])}: {a['message']}" for a in alerts]
    for va in ssm.va_list():
        lines += ["", f"Virtual Account {va['name']} ({va['instances']} product instances):"]
        rows = [r for r in ssm.license_rows(va["name"]) if r["purchased"] or r["in_use"]]
        lines += [
            f"  {r['alias']}: purchased {r['purchased']}, in use {r['in_use']}, reserved {r['reserved']}, "
            f"balance {r['balance']:+d}"
            for r in rows
        ]
    return "\n".join(lines) + _foot(ssm, now)


def pending(ssm: SsmDb) -> list[dict[str, Any]]:
    q = "SELECT * FROM mail WHERE sent=0 ORDER BY id LIMIT ?"
    return [dict(r) for r in ssm.db.execute(q, (MAX_BATCH,))]


def deliver(ssm: SsmDb) -> int:
    """Send what is saved and not sent yet; how many went. Never raises for a server that
    cannot take them: the reason is kept on the message, shown by 'ccx-ssm notify show'."""
    waiting = pending(ssm)
    if not waiting:
        return 0
    from ccxcli.protocol.mail import compose, send_smtp  # the email package: only when there is mail

    p = prefs(ssm)
    sender = p["sender"] or f"do-not-reply@{ssm.domain}"
    sent = 0
    for m in waiting:
        msg = compose(
            sender,
            json.loads(m["recipients"]),
            m["subject"],
            m["body"],
            f"<ccxcli-{ssm.meta.get('created', '0')}-{m['id']}@{ssm.domain}>",
            wall_now(),
            {"X-Ccxcli-Lab-Time": iso(m["t"]), "X-Ccxcli-Smart-Account": ssm.account},
        )
        try:
            if p["smtp"]:
                send_smtp(p["smtp"], msg)
            else:
                _write_outbox(ssm.path / "outbox", f"{m['t']}-{m['id']:06d}", bytes(msg))
        except OSError as e:  # smtplib.SMTPException is an OSError
            _mark(ssm, m["id"], f"{type(e).__name__}: {e}"[:300])
            break  # the server is down: the rest wait too, in order
        _mark(ssm, m["id"], None)
        sent += 1
    return sent


def _mark(ssm: SsmDb, ident: int, error: str | None) -> None:
    with ssm.tx() as db:
        if error is None:
            db.execute("UPDATE mail SET sent=1, error=NULL WHERE id=?", (ident,))
        else:
            db.execute("UPDATE mail SET error=? WHERE id=?", (error, ident))


def _write_outbox(folder: Path, name: str, data: bytes) -> None:
    from ccxcli.store.files import private_dir, write_atomic

    private_dir(folder)
    write_atomic(folder / f"{name}.eml", data)


def run(ssm: SsmDb, now: int) -> int:
    """Queue what is due and deliver it (what every caller does); never raises for mail."""
    queue(ssm, now)
    return deliver(ssm)


def status(ssm: SsmDb) -> dict[str, Any]:
    rows = [dict(r) for r in ssm.db.execute("SELECT * FROM mail ORDER BY id DESC LIMIT 10")]
    waiting = ssm.db.execute("SELECT COUNT(*) FROM mail WHERE sent=0").fetchone()[0]
    return {
        **prefs(ssm),
        "waiting": waiting,
        "outbox": str(ssm.path / "outbox"),
        "recent": [
            {"time": iso(r["t"]), "subject": r["subject"], "sent": bool(r["sent"]), "error": r["error"]} for r in rows
        ],
    }
