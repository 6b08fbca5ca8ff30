"""Reserve licenses for an air-gapped UCCX node through Cisco's Smart Accounts and Licensing
API, and print the Authorization Code to install on it. Written for Cisco: it runs unchanged
against `ccx-ssm serve` once the host names point at it and its certificate is trusted (see
the README), or with CSSM_SSO/CSSM_API set to the served SSM's address.

    export CSSM_CLIENT_ID=... CSSM_CLIENT_SECRET=...      # an API client's credentials
    python reserve.py DOMAIN VIRTUAL_ACCOUNT REQUEST_CODE ENTITLEMENT_TAG=QTY...
"""

from __future__ import annotations

import os
import sys

import requests

SSO = os.environ.get("CSSM_SSO", "https://cloudsso.cisco.com")
API = os.environ.get("CSSM_API", "https://swapi.cisco.com")


def main(argv: list[str]) -> int:
    if len(argv) < 4:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    domain, va, request_code, *wanted = argv
    login = requests.post(f"{SSO}/as/token.oauth2", data={"grant_type": "client_credentials",
                          "client_id": os.environ["CSSM_CLIENT_ID"],
                          "client_secret": os.environ["CSSM_CLIENT_SECRET"]}, timeout=30)  # fmt: skip
    login.raise_for_status()
    headers = {"Authorization": f"Bearer {login.json()['access_token']}", "Accept": "application/json"}
    licenses = [{"entitlementTag": w.split("=")[0], "quantity": int(w.split("=")[1]),
                 "precedence": "LONGEST_TERM_FIRST"} for w in wanted]  # fmt: skip
    body = {"reservationRequests": [{"reservationCode": request_code, "reservationType": "SPECIFIC",
                                     "licenses": licenses}]}  # fmt: skip
    url = f"{API}/services/api/smart-accounts-and-licensing/v1/accounts/{domain}/virtual-accounts/{va}/reserve-licenses"
    r = requests.post(url, json=body, headers=headers, timeout=60)
    doc = r.json()
    item = (doc.get("authorizationCodes") or [{}])[0]
    if r.status_code != 200 or item.get("status") == "ERROR":
        print(f"refused ({r.status_code}): {item.get('statusMessage') or doc.get('statusMessage')}", file=sys.stderr)
        return 1
    print(item["authorizationCode"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
