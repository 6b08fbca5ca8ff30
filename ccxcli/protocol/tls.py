"""TLS between a node and a served SSM (`ccx-ssm serve`), with the SSM's own key.

- The server's certificate is made at start from the SSM's signing key (ECDSA P-256), its
  common name and subject alternative names being the SSM's names (`ccx-ssm init
  --hostname H --san N`; `localhost` for an SSM that has none).
- A node trusts keys, not certificate authorities: the file `ccx-ssm key export` prints and
  `ccx sim ssm trust FILE` installs serves for both code signatures and TLS. After the
  handshake (which proves the server holds the certificate's key) the node checks that the
  key is one it trusts, that the certificate is well signed and valid now (wall clock:
  the lab's virtual clock is not the network's), and the seed's name rule: the URL's host
  is the common name or a subject alternative name.

Imported only by `ccx-ssm serve` and by a node whose transport URL leaves its lab.
"""

from __future__ import annotations

import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ccxcli.clock import wall_now
from ccxcli.errors import CommError
from ccxcli.urls import name_mismatch

DEFAULT_NAMES = ("localhost",)
VALID_DAYS = 365


def certificate(private_pem: bytes, names: list[str], now: int | None = None) -> bytes:
    """A self-signed certificate (PEM) for `names` with the SSM's key."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    names = list(names) or list(DEFAULT_NAMES)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    start = int(now if now is not None else wall_now()) - 3600
    import datetime

    begin = datetime.datetime.fromtimestamp(start, datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(begin)
        .not_valid_after(begin + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name.strip("[]")))
    except ValueError:
        return x509.DNSName(name)


def names_of(cert: x509.Certificate) -> list[str]:
    out = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return out
    out += [str(n) for n in san.get_values_for_type(x509.DNSName)]
    out += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    return list(dict.fromkeys(out))


def _spki(pem: bytes) -> bytes | None:
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError:
        return None
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def check_peer(der: bytes | None, host: str, where: str, trusted: list[bytes]) -> None:
    """Refuse (CommError) a server certificate this lab must not talk to."""
    if not der:
        raise CommError(f"TLS with the SSM at {where} failed: it presented no certificate.")
    try:
        cert = x509.load_der_x509_certificate(der)
        key = cert.public_key()
        spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    except ValueError:
        raise CommError(f"TLS with the SSM at {where} failed: its certificate cannot be read.") from None
    if spki not in {_spki(pem) for pem in trusted}:
        raise CommError(
            f"TLS with the SSM at {where} failed: its certificate's key is not trusted by this lab "
            "(run 'ccx-ssm key export' there and 'ccx sim ssm trust FILE' here)."
        )
    try:
        assert isinstance(key, ec.EllipticCurvePublicKey)
        hash_algorithm = cert.signature_hash_algorithm
        assert hash_algorithm is not None
        key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hash_algorithm))
    except Exception:  # noqa: BLE001 - any failure to verify is the same refusal
        raise CommError(f"TLS with the SSM at {where} failed: its certificate is not validly signed.") from None
    now = wall_now()
    if not cert.not_valid_before_utc.timestamp() <= now <= cert.not_valid_after_utc.timestamp():
        raise CommError(f"TLS with the SSM at {where} failed: its certificate is expired or not yet valid.")
    names = names_of(cert)
    want = host.strip("[]").lower()
    if want not in (n.lower() for n in names):
        raise CommError(name_mismatch(host, names))
