"""ccxcli's pytest plugin (entry point `pytest11: ccxcli`, active wherever ccxcli is
installed; `pytest -p ccxcli` names it explicitly). Every fixture is function-scoped, lives
in pytest's own temporary folder (one per test, so pytest-xdist workers never share a lab)
and stops what it started when the test ends:

- `ccx_lab`: a fresh lab (`ccxcli.api.Lab`): node uccx, SSM cloud with the demo licenses.
- `ccx_node`: its node uccx (`ccxcli.api.Node`).
- `ccx_ssh`: `ccx serve` on 127.0.0.1 and a free port (`ccxcli.api.SshServer`: host, port,
  username, password, known_hosts).
- `ccx_ssm_https`: `ccx-ssm serve` of the lab's cloud SSM (`ccxcli.api.HttpsServer`: url,
  port, password, cert).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ccxcli.api import HttpsServer, Lab, Node, SshServer


@pytest.fixture
def ccx_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A fresh ccxcli lab (node uccx, SSM cloud with demo licenses); its servers stop after the test."""
    lab = Lab(tmp_path_factory.mktemp("ccx-lab"))
    try:
        yield lab
    finally:
        lab.close()


@pytest.fixture
def ccx_node(ccx_lab: Lab) -> Node:
    """The lab's node uccx: run(), json(), status()."""
    return ccx_lab.node()


@pytest.fixture
def ccx_ssh(ccx_lab: Lab) -> Iterator[SshServer]:
    """`ccx serve` for the lab on 127.0.0.1: host, port, username, password, known_hosts."""
    with ccx_lab.node().serve(stop_after=1800) as server:
        yield server


@pytest.fixture
def ccx_ssm_https(ccx_lab: Lab) -> Iterator[HttpsServer]:
    """`ccx-ssm serve` of the lab's SSM on 127.0.0.1: url, port, password, cert."""
    with ccx_lab.ssm().serve(stop_after=1800) as server:
        yield server
