"""Commands over `ansible.netcommon.network_cli` for the Cisco VOS `admin:` CLI: `get` (what
`cli_command` calls) and `run_commands`. VOS has no configuration to read or replace; its
commands act when they run."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleConnectionFailure
from ansible.module_utils._text import to_text
from ansible_collections.ansible.netcommon.plugins.plugin_utils.cliconf_base import CliconfBase

DOCUMENTATION = """
short_description: Cliconf plugin for the Cisco VOS admin CLI (UCCX)
description:
  - Runs commands on the VOS C(admin:) CLI; answers questions such as C(Continue (y/n)?)
    with the prompt and answer given to cli_command.
version_added: 0.1.0
"""

OPERATIONS = (
    "supports_diff_replace",
    "supports_commit",
    "supports_rollback",
    "supports_defaults",
    "supports_onbox_diff",
    "supports_generate_diff",
    "supports_multiline_delimiter",
    "supports_diff_match",
    "supports_diff_ignore_lines",
    "supports_config_replace",
)
NO_CONFIG = "The VOS admin CLI has no configuration to get or edit; run commands with cli_command."


class Cliconf(CliconfBase):
    def get_device_info(self) -> dict[str, str]:
        info = {"network_os": "vos"}
        version = to_text(self.get("show version active"), errors="surrogate_or_strict")
        m = re.search(r"Active Master Version:\s*(\S+)", version)
        if m:
            info["network_os_version"] = m.group(1)
        me = to_text(self.get("show myself"), errors="surrogate_or_strict")
        m = re.search(r"Machine Name\s*:\s*(\S+)", me)
        if m:
            info["network_os_hostname"] = m.group(1)
        return info

    def get_config(self, source: str = "running", flags: Any = None, format: Any = None) -> Any:
        raise AnsibleConnectionFailure(NO_CONFIG)

    def edit_config(
        self, candidate: Any = None, commit: bool = True, replace: Any = None, diff: bool = False, comment: Any = None
    ) -> Any:
        raise AnsibleConnectionFailure(NO_CONFIG)

    def get(
        self,
        command: str | None = None,
        prompt: Any = None,
        answer: Any = None,
        sendonly: bool = False,
        newline: bool = True,
        output: Any = None,
        check_all: bool = False,
    ) -> Any:
        if not command:
            raise ValueError("must provide value of command to execute")
        if output:
            raise ValueError(f"'output' value {output} is not supported for get")
        return self.send_command(
            command=command, prompt=prompt, answer=answer, sendonly=sendonly, newline=newline, check_all=check_all
        )

    def run_commands(self, commands: Any = None, check_rc: bool = True) -> list[Any]:
        if commands is None:
            raise ValueError("'commands' value is required")
        responses = []
        for cmd in commands if isinstance(commands, list) else [commands]:
            if not isinstance(cmd, Mapping):
                cmd = {"command": cmd}
            cmd = dict(cmd)
            if cmd.pop("output", None):
                raise ValueError("'output' is not supported for run_commands")
            try:
                out = self.send_command(**cmd)
            except AnsibleConnectionFailure as e:
                if check_rc:
                    raise
                out = getattr(e, "err", e)
            responses.append(out)
        return responses

    def get_capabilities(self) -> str:
        result = super().get_capabilities()
        result["rpc"] += ["run_commands"]
        result["device_operations"] = dict.fromkeys(OPERATIONS, False)  # no configuration: nothing to diff or commit
        result["format"] = ["text"]
        result["output"] = []
        return json.dumps(result)
