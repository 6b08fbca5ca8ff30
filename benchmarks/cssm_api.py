"""Cisco's API on a served SSM (`ccx-ssm serve`), measured in one run on loopback:
reserve-licenses over HTTPS as a script sends it (OAuth2 token first, one kept-alive
`requests` session), one reservation per call (latency p50/p99, reservations per second)
and ten per call, against the same reservations made in-process on another SSM database
(the floor of the ratio).

Usage: python benchmarks/cssm_api.py [--n N]
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from pathlib import Path

import requests
from ssm_https import serve

from ccxcli.core.catalogue import BY_ALIAS
from ccxcli.protocol import codes
from ccxcli.ssm.core import apiclient, reserve
from ccxcli.ssm.core.db import SsmDb

NOW = 1_800_000_000
TAG = BY_ALIAS["flex-standard"].tag


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100 * len(s)))]


def requests_codes(n: int) -> list[str]:
    out = []
    for _ in range(n):
        nonce = secrets.token_bytes(8)
        pub = codes.public_bytes(codes.reservation_key({"secret": codes.new_secret(), "piid": nonce.hex()}))
        uuid = secrets.token_hex(16)
        out.append(codes.make_request(uuid[-5:], uuid, pub, nonce))
    return out


def stocked(folder: Path) -> SsmDb:
    ssm = SsmDb.create(folder, "Bench", NOW, demo=True)
    for _ in range(10):
        ssm.license_add("DEFAULT", "flex-standard", 10_000, NOW)
    return ssm


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300, help="reservations per way of sending them")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        here = stocked(Path(tmp) / "inproc")
        batch = requests_codes(a.n)
        t = time.perf_counter()
        for req in batch:
            reserve.authorize(here, "DEFAULT", req, {"flex-standard": 1}, NOW)
        floor = a.n / (time.perf_counter() - t)
        here.close()

        served = stocked(Path(tmp) / "served")
        cid, secret = apiclient.create(served, "bench", [], NOW)
        domain = served.domain
        served.close()
        proc, port = serve(tmp, Path(tmp) / "served")
        http = requests.Session()
        try:
            base = f"https://127.0.0.1:{port}"
            form = {"grant_type": "client_credentials", "client_id": cid, "client_secret": secret}
            token = http.post(base + "/as/token.oauth2", data=form, verify=False).json()["access_token"]
            url = (
                f"{base}/services/api/smart-accounts-and-licensing/v1/accounts/{domain}/virtual-accounts/DEFAULT"
                "/reserve-licenses"
            )
            headers = {"Authorization": f"Bearer {token}"}

            def call(reqs: list[str]) -> None:
                one = [{"entitlementTag": TAG, "quantity": 1}]
                body = {
                    "reservationRequests": [
                        {"reservationCode": r, "reservationType": "SPECIFIC", "licenses": one} for r in reqs
                    ]
                }
                doc = http.post(url, json=body, headers=headers, verify=False).json()
                assert doc["status"] == "COMPLETE", doc

            one, lat = requests_codes(a.n), []
            t = time.perf_counter()
            for req in one:
                s = time.perf_counter()
                call([req])
                lat.append(time.perf_counter() - s)
            single = a.n / (time.perf_counter() - t)
            tens = requests_codes(a.n)
            t = time.perf_counter()
            for k in range(0, a.n, 10):
                call(tens[k : k + 10])
            batched = a.n / (time.perf_counter() - t)
        finally:
            http.close()  # no kept-alive connection holds the server's stop
            proc.terminate()
            proc.wait(timeout=30)
    p50, p99 = pct(lat, 50) * 1000, pct(lat, 99) * 1000
    print(f"reserve-licenses over HTTPS, 1 per call   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms")
    print(f"reservations per second: 1 per call {single:7.0f}/s; 10 per call {batched:7.0f}/s")
    print(
        f"in-process floor (reserve.authorize):   {floor:7.0f}/s; served / in-process = {single / floor:.2f} "
        f"(1 per call), {batched / floor:.2f} (10 per call)"
    )
    print(f"({a.n} reservations each way; cpu count {__import__('os').cpu_count()})")


if __name__ == "__main__":
    import warnings

    warnings.simplefilter("ignore")  # verify=False on loopback: the benchmark measures, it does not trust
    main()
