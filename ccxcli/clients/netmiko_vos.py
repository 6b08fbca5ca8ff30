"""A netmiko device class for the VOS `admin:` CLI (a UCCX node, or `ccx serve`).

    from ccxcli.clients.netmiko_vos import CiscoVosSSH, register
    register()  # ConnectHandler(device_type="cisco_vos", ...) from now on
    conn = ConnectHandler(device_type="cisco_vos", host="127.0.0.1", port=2222,
                          username="admin", password="admin")
    print(conn.find_prompt())                      # admin:
    out = conn.send_command("show license status")
    conn.send_command_yes("license smart deregister")

Paging is turned off on open; `find_prompt()` returns `admin:` without the terminal's
escape codes; `send_command` raises `VosCommandError` when VOS prints its failure marker
(`check_failure=False` to get the text instead).
"""

from __future__ import annotations

import importlib
import re
from typing import Any

from netmiko.cisco_base_connection import CiscoBaseConnection

PROMPT = r"admin:"
FAILURE_MARKER = "Executed command unsuccessfully"
CONTINUE = r"Continue \(y/n\)\?"
_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class VosCommandError(Exception):
    """The command was refused: VOS printed its failure marker after the output."""

    def __init__(self, command: str, output: str) -> None:
        super().__init__(f"{command!r} failed: {output.strip().splitlines()[0] if output.strip() else ''}")
        self.command, self.output = command, output


class CiscoVosSSH(CiscoBaseConnection):
    """Cisco VOS (UCCX, CUCM, ...) `admin:` CLI over SSH."""

    prompt_pattern = PROMPT

    def session_preparation(self) -> None:
        self._test_channel_read(pattern=PROMPT)
        self.set_base_prompt()
        self.disable_paging(command="set cli pagination off", pattern=PROMPT)

    def set_base_prompt(self, *args: Any, **kwargs: Any) -> str:
        self.base_prompt = "admin"
        return self.base_prompt

    def find_prompt(self, delay_factor: float = 1.0, pattern: str | None = None) -> str:
        """The prompt as a person reads it (`admin:`), whatever the terminal type drew around it."""
        return _ESCAPES.sub("", super().find_prompt(delay_factor, pattern)).strip()

    def check_config_mode(self, check_string: str = "", pattern: str = "", force_regex: bool = False) -> bool:
        return False  # VOS has no configuration mode

    def config_mode(self, config_command: str = "", pattern: str = "", re_flags: int = 0) -> str:
        return ""

    def exit_config_mode(self, exit_config: str = "", pattern: str = "") -> str:
        return ""

    def save_config(self, *args: Any, **kwargs: Any) -> str:
        return ""  # every command takes effect (and is saved) when it runs

    def send_command(
        self,
        command_string: str,
        expect_string: str | None = None,
        *args: Any,
        check_failure: bool = True,
        **kwargs: Any,
    ) -> Any:
        out = super().send_command(command_string, expect_string or PROMPT, *args, **kwargs)
        if check_failure and isinstance(out, str) and FAILURE_MARKER in out:
            raise VosCommandError(command_string, out.replace(FAILURE_MARKER, "").strip())
        return out

    def send_command_yes(self, command_string: str, answer: str = "y", **kwargs: Any) -> str:
        """A command that asks `Continue (y/n)?`, answered (`y` unless told otherwise)."""
        out = str(super().send_command(command_string, expect_string=CONTINUE, strip_prompt=False, **kwargs))
        rest = self.send_command(answer, **kwargs)
        return out + "\n" + str(rest)


def register(name: str = "cisco_vos") -> None:
    """Make `ConnectHandler(device_type=name)` open a `CiscoVosSSH`."""
    dispatcher = importlib.import_module("netmiko.ssh_dispatcher")
    dispatcher.CLASS_MAPPER[name] = CiscoVosSSH
    if name not in dispatcher.platforms:
        dispatcher.platforms.append(name)
        dispatcher.platforms.sort()
