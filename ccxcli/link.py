"""The node's transport to its SSM. `Link` is the interface the engine's driver uses;
`LabLink` delivers messages in-process to the SSM folders of the lab (an HTTP
transport could implement the same methods without touching the engine)."""

from __future__ import annotations

import re
from typing import Any

from ccxcli.errors import CommError
from ccxcli.lab import DEFAULT_SSM, Lab

_URL = re.compile(r"^https://([^/:]+)(?::\d+)?(/.*)?$", re.I)
GATEWAY_PATH = "/Transportgateway/services/DeviceRequestHandler"
SATELLITE_PATH = "/SmartTransport"


def url_host(url: str, mode: str) -> str:
    """The host of an SSM On-Prem URL; UsageError if it does not have the expected shape."""
    from ccxcli.errors import UsageError

    m = _URL.match(url.strip())
    path = GATEWAY_PATH if mode == "gateway" else SATELLITE_PATH
    if not m or (m.group(2) or "").lower() != path.lower():
        raise UsageError(f"Invalid URL '{url}': expected https://<host>{path}.")
    return m.group(1).lower()


class LabLink:
    def __init__(self, lab: Lab) -> None:
        self.lab = lab

    # -- which SSM ------------------------------------------------------------------
    def target(self, node: dict[str, Any]) -> str:
        """The SSM name the node's transport reaches; CommError if none answers."""
        if not node["network"]:
            raise CommError("Communication with Cisco SSM failed: the network is down ('sim network up' restores it).")
        tr = node["transport"]
        if tr["mode"] in ("direct", "proxy"):
            if not (self.lab.ssm_dir(DEFAULT_SSM) / "ssm.db").exists():
                raise CommError("Communication with Cisco SSM failed: the cloud SSM of this lab does not exist.")
            return DEFAULT_SSM
        host = url_host(tr["url"], tr["mode"])
        on_prem = [n for n in self.lab.ssm_names() if self.lab.ssm(n).on_prem]
        for name in on_prem:
            if host in (h.lower() for h in self.lab.ssm(name).names()):
                return name
        names = "; ".join(f"{n}: {', '.join(self.lab.ssm(n).names())}" for n in on_prem) or "no on-prem SSM in this lab"
        raise CommError(
            f"Communication with SSM On-Prem failed: certificate name mismatch, '{host}' is not the "
            f"common name or a subject alternative name of the SSM certificate ({names})."
        )

    def _registered(self, node: dict[str, Any]) -> Any:
        if not node["network"]:
            raise CommError("Communication with Cisco SSM failed: the network is down.")
        name = node["reg"].get("ssm") or DEFAULT_SSM
        try:
            return self.lab.ssm(name)
        except Exception as e:  # noqa: BLE001 - any failure to reach the SSM is a communication failure
            raise CommError(f"Communication with SSM '{name}' failed: {getattr(e, 'message', e)}") from None

    # -- messages ---------------------------------------------------------------------
    def register(self, node: dict[str, Any], token: str, now: int, force: bool) -> dict[str, Any]:
        from ccxcli.ssm import smart

        name = self.target(node)
        hello = {
            "uuid": node["uuid"],
            "sn": node["sn"],
            "license_type": node["license_type"],
            "hostname": node["hostname"] if node["send_hostname"] else "",
        }
        info = smart.register(self.lab.ssm(name), token, hello, now, force)
        info["ssm"] = name
        return info

    def renew(self, node: dict[str, Any], now: int, what: str) -> None:
        from ccxcli.ssm import smart

        smart.contact(self._registered(node), node["uuid"], now, what)

    def report(self, node: dict[str, Any], use: dict[str, int], now: int) -> dict[str, Any] | None:
        """The SSM's judgement, or None when it could not be reached (InstanceGone passes)."""
        from ccxcli.ssm import smart

        try:
            return smart.report(self._registered(node), node["uuid"], use, now)
        except CommError:
            return None

    def deregister(self, node: dict[str, Any], now: int) -> None:
        from ccxcli.ssm import smart

        smart.deregister(self._registered(node), node["uuid"], now)

    def pool_version(self, node: dict[str, Any]) -> int | None:
        from ccxcli.ssm import smart

        if not node["network"]:
            return None
        try:
            return smart.pool_version(self._registered(node), node["uuid"])
        except CommError:
            return None
