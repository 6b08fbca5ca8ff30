"""The environment of the `ccx`/`ccx-ssm` child processes the tests start."""

from __future__ import annotations

import os
from pathlib import Path


def child_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a `ccx`/`ccx-ssm` child process on lab `home`."""
    env = {k: v for k, v in os.environ.items() if k not in ("CCX_HOME", "CCX_NODE", "CCX_SSM_HOME")}
    return {**env, "CCX_HOME": str(home), **extra}
