"""Email as the SSM sends it: one RFC 5322 message per notification, over SMTP (stdlib
`smtplib`) to the server the SSM's notification preferences name (the SSM writes `.eml`
files to its outbox folder when none is set). A server that cannot take a message raises OSError (or
`smtplib.SMTPException`, which is one); the caller keeps the message for the next try."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime

TIMEOUT = 5.0


def compose(
    sender: str, to: list[str], subject: str, body: str, msg_id: str, wall: int, headers: dict[str, str]
) -> EmailMessage:
    from datetime import datetime, timezone

    m = EmailMessage()
    m["From"] = sender
    m["To"] = ", ".join(to)
    m["Subject"] = subject
    m["Date"] = format_datetime(datetime.fromtimestamp(wall, timezone.utc))
    m["Message-ID"] = msg_id  # the same for a message sent again after a crash: receivers can drop it
    for k, v in headers.items():
        m[k] = v
    m.set_content(body)
    return m


def send_smtp(server: str, message: EmailMessage) -> None:
    """Hand the message to `host[:port]` (25 by default)."""
    import smtplib

    host, _, port = server.rpartition(":")
    with smtplib.SMTP(host, int(port), timeout=TIMEOUT) as smtp:
        smtp.send_message(message)
