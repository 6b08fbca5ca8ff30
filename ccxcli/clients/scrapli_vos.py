"""scrapli drivers for the VOS `admin:` CLI (a UCCX node, or `ccx serve`), sync and async.

    from ccxcli.clients.scrapli_vos import VosDriver
    with VosDriver(host="127.0.0.1", port=2222, auth_username="admin", auth_password="admin",
                   auth_strict_key=False) as conn:
        print(conn.send_command("show license status").result)
        conn.send_yes("license smart deregister")

Paging is turned off on open; a response whose output carries VOS's failure marker is
failed (`response.failed`, `raise_for_status()`); `send_yes` answers `Continue (y/n)?`.
"""

from __future__ import annotations

from typing import Any

from scrapli.driver.generic import AsyncGenericDriver, GenericDriver
from scrapli.response import Response

PROMPT_PATTERN = r"^admin:\s*$"
FAILURE_MARKER = "Executed command unsuccessfully"
CONTINUE = "Continue (y/n)?"
PAGING_OFF = "set cli pagination off"


def _options(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"comms_prompt_pattern": PROMPT_PATTERN, "transport": "paramiko", **kwargs}


def _paging_off(conn: GenericDriver) -> None:
    conn.send_command(PAGING_OFF)


async def _paging_off_async(conn: AsyncGenericDriver) -> None:
    await conn.send_command(PAGING_OFF)


class VosDriver(GenericDriver):
    """GenericDriver for VOS: the prompt, paging off on open, failure marker, y/n answers."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("on_open", _paging_off)
        super().__init__(**_options(kwargs))

    def send_command(self, command: str, **kwargs: Any) -> Response:
        kwargs.setdefault("failed_when_contains", [FAILURE_MARKER])
        return super().send_command(command, **kwargs)

    def send_yes(self, command: str, answer: str = "y") -> Response:
        """A command that asks `Continue (y/n)?`, answered (`y` unless told otherwise)."""
        response: Response = self.send_interactive(
            [(command, CONTINUE, False), (answer, "admin:", False)], failed_when_contains=[FAILURE_MARKER]
        )
        return response


class AsyncVosDriver(AsyncGenericDriver):
    """AsyncGenericDriver for VOS (asyncssh transport by default)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("on_open", _paging_off_async)
        kwargs.setdefault("transport", "asyncssh")
        super().__init__(**_options(kwargs))

    async def send_command(self, command: str, **kwargs: Any) -> Response:
        kwargs.setdefault("failed_when_contains", [FAILURE_MARKER])
        return await super().send_command(command, **kwargs)

    async def send_yes(self, command: str, answer: str = "y") -> Response:
        response: Response = await self.send_interactive(
            [(command, CONTINUE, False), (answer, "admin:", False)], failed_when_contains=[FAILURE_MARKER]
        )
        return response
