"""Drivers for the automation libraries people drive a UCCX `admin:` CLI with, tested
against the real libraries and `ccx serve` (tests/test_clients.py). They import the
library they drive, never ccxcli's own modules: copy one into a project that talks to
real appliances, or import it from here.

- `netmiko_vos`: a netmiko device class (`cisco_vos` for `ConnectHandler` after `register()`).
- `scrapli_vos`: scrapli `GenericDriver` / `AsyncGenericDriver` set up for VOS.
- `ansible_collections/ccxcli/vos`: an Ansible collection (`terminal` and `cliconf` plugins for
  `ansible.netcommon.network_cli`, `ansible_network_os: ccxcli.vos.vos`); `ANSIBLE` is the
  folder to put on `ANSIBLE_COLLECTIONS_PATH`.
- `templates/`: TextFSM templates for every `show license ...` output, with a clitable
  `index` (platform `cisco_vos`); `TEMPLATES` is their folder.
"""

from __future__ import annotations

import os

TEMPLATES = os.path.join(os.path.dirname(__file__), "templates")
ANSIBLE = os.path.dirname(__file__)  # holds ansible_collections/ccxcli/vos
PROMPT = r"admin:"  # where the prompt is matched anywhere in the output
PROMPT_LINE = r"([\r\n]|\x1b\[K)admin:"  # the prompt at the start of a line, under every TERM
FAILURE_MARKER = "Executed command unsuccessfully"  # what VOS prints after a refused command
CONTINUE = "Continue (y/n)?"
