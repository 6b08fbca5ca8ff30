"""The VOS `admin:` CLI as `ansible.netcommon.network_cli` sees it: where the prompt is, what
marks a refused command, and paging turned off when the shell opens."""

from __future__ import annotations

import re

from ansible.errors import AnsibleConnectionFailure
from ansible_collections.ansible.netcommon.plugins.plugin_utils.terminal_base import TerminalBase

DOCUMENTATION = """
short_description: Terminal plugin for the Cisco VOS admin CLI (UCCX)
description:
  - The prompt, failure markers and paging of the VOS C(admin:) CLI.
version_added: 0.1.0
"""


class TerminalModule(TerminalBase):
    # `admin:` at the start of a line, at the end of what was read (escape codes are removed
    # first: under TERM xterm or vt100 the prompt comes after ESC[K).
    terminal_stdout_re = [re.compile(rb"(?:^|[\r\n])admin: ?$")]

    # VOS prints this after the reason of every refused command.
    terminal_stderr_re = [re.compile(rb"Executed command unsuccessfully")]

    ansi_re = [
        *TerminalBase.ansi_re,
        re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]"),  # CSI sequences: ESC[K, colours, cursor moves
        re.compile(rb"\x1b[=>]"),  # keypad modes
    ]

    def on_open_shell(self) -> None:
        try:
            self._exec_cli_command(b"set cli pagination off")
        except AnsibleConnectionFailure as e:
            raise AnsibleConnectionFailure(f"unable to turn paging off: {e}") from e
