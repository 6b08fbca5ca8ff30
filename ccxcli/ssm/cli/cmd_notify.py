"""ccx-ssm notify: the SSM's email notification preferences (addresses, daily summary, status
notifications) and where the messages go (an SMTP server, else the SSM folder's outbox)."""

from __future__ import annotations

from ccxcli.errors import UsageError
from ccxcli.ssm.cli.app import PROG, SsmRun, command, emit, on_off, open_ssm
from ccxcli.ssm.cli.cmdkit import Option

PROG.group("notify", "Email notifications of the SSM: who gets them, which, and through which server.")


@command(
    "notify set",
    "Set the notification preferences: addresses, daily summary, status notifications, SMTP server.",
    changes="the preferences; alerts raised or cleared from now on are mailed (status notifications), and a "
    "daily summary from tomorrow on (SSM time). Without --smtp the messages are .eml files in the SSM "
    "folder's outbox/.",
    example="ccx-ssm notify set --email lic-admins@example.com --daily-summary on --smtp 127.0.0.1:2525",
    params=(
        Option("--email", "An address to notify (repeat for more; replaces the list).", kind="list", metavar="ADDR"),
        Option(
            "--daily-summary", "A summary of alerts and licenses once a day: on or off (default off).", metavar="on|off"
        ),
        Option(
            "--status", "A message each time an alert is raised or cleared: on or off (default on).", metavar="on|off"
        ),
        Option("--smtp", "The SMTP server, HOST or HOST:PORT (25); none: the outbox folder.", metavar="HOST:PORT"),
        Option(
            "--from",
            "The sender address (default do-not-reply@ the smart account's domain).",
            metavar="ADDR",
            dest="sender",
        ),
    ),
)
def notify_set(
    rt: SsmRun, email: list[str], daily_summary: str | None, status: str | None, smtp: str | None, sender: str | None
) -> None:
    from ccxcli.ssm.core import notify

    daily, stat = on_off(daily_summary, "--daily-summary"), on_off(status, "--status")
    if not email and daily is None and stat is None and smtp is None and sender is None:
        raise UsageError("Give at least one of --email, --daily-summary, --status, --smtp, --from.")
    ssm, now = open_ssm(rt)
    p = notify.set_prefs(ssm, now, email or None, daily, stat, smtp, sender)
    emit(rt, p, "Notifications: " + notify.describe(p) + ".")


@command(
    "notify show",
    "The notification preferences, the messages waiting and the last ones sent.",
    changes="nothing.",
    example="ccx-ssm notify show",
)
def notify_show(rt: SsmRun) -> None:
    from ccxcli.ssm.core import notify

    ssm, now = open_ssm(rt)
    notify.run(ssm, now)  # what is due now is sent first, so the list below is current
    st = notify.status(ssm)
    lines = [
        f"Notifications: {notify.describe(st)}.",
        f"Waiting to be sent: {st['waiting']}",
        f"Outbox folder: {st['outbox']}",
        "Recent:",
    ]
    lines += [
        f"  {r['time']}  {'sent' if r['sent'] else 'waiting'}  {r['subject']}"
        + (f"  ({r['error']})" if r["error"] else "")
        for r in st["recent"]
    ] or ["  none"]
    emit(rt, st, "\n".join(lines))
