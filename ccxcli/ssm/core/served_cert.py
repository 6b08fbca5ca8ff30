"""The certificate a served SSM presents (`tls-cert.pem` in its folder), made with the SSM's
own key for the names it was created with. It is kept across starts while it still fits
(same key, same names, more than 30 days left on the wall clock), so a copy handed to
clients (`ccx-ssm cert export`, then `REQUESTS_CA_BUNDLE` or `curl --cacert`) keeps working."""

from __future__ import annotations

from pathlib import Path

from ccxcli.clock import wall_now
from ccxcli.errors import CcxError
from ccxcli.protocol import tls
from ccxcli.store.files import read_bounded, write_atomic

CERT_FILE = "tls-cert.pem"
RENEW_BEFORE = 30 * 86400


def _fits(pem: bytes, private_pem: bytes, names: list[str], wall: int) -> bool:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        cert = x509.load_pem_x509_certificate(pem)
        key = serialization.load_pem_private_key(private_pem, password=None)
    except ValueError:
        return False
    same_key = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    left = cert.not_valid_after_utc.timestamp() - wall
    return same_key and tls.names_of(cert) == list(dict.fromkeys(names or tls.DEFAULT_NAMES)) and left > RENEW_BEFORE


def served(folder: Path, names: list[str]) -> Path:
    """The certificate file, made again only when the kept one no longer fits."""
    path = folder / CERT_FILE
    private_pem = read_bounded(folder / "key.pem", "SSM private key", 10_000)
    wall = wall_now()
    try:
        kept = read_bounded(path, "SSM certificate", 100_000)
    except CcxError:  # missing or unreadable: made again
        kept = b""
    if not kept or not _fits(kept, private_pem, names, wall):
        write_atomic(path, tls.certificate(private_pem, names, wall))
    return path
