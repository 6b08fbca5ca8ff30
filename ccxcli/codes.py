"""The codes exchanged between a node and the SSM (SPEC §5), made and checked in one
module used by both sides. This is the only module that imports `cryptography`.

- Reservation Request Code  `CB-ZUCCX:<SN>-<token>-<check>`; token = base64url of
  version(1) | UUID(16) | Ed25519 reservation public key(32) | nonce(8); check = 2 hex
  digits over the rest, so a mistyped code is caught before anything else.
- Authorization Code        Cisco's `<specificPLR>` XML, signed by the SSM (ECDSA P-256,
  SHA-256, DER, base64) over the exact `<authorizationCode>…</authorizationCode>` text
  followed by the exact `<udi>…</udi>` text. `piid` binds it to the request's nonce.
- Confirmation Code         8 lowercase hex digits derived from the installed code.
- Reservation Return Code   groups of 6 base-62 characters joined by dashes: piid(8) |
  time(8) | Ed25519 signature(64) by the node's reservation key.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from xml.etree import ElementTree

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from ccxcli.codetext import MAX_CODE
from ccxcli.core.catalogue import BY_ALIAS, BY_TAG
from ccxcli.errors import RuleError

REQUEST_VERSION = 1


# --- keys ----------------------------------------------------------------------------


def new_signing_key() -> tuple[bytes, bytes]:
    """A new SSM signing key: (private PEM, public PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    priv = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    pub = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return priv, pub


def load_public(pem: bytes) -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError):
        raise RuleError("The file is not a PEM public key (expected the output of 'ccx-ssm key export').") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise RuleError("The public key is not an ECDSA P-256 key of an SSM.")
    return key


def canonical_public_pem(pem: bytes) -> str:
    """An SSM public key (RuleError if it is not one), written the one standard way."""
    key = load_public(pem)
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def sign(private_pem: bytes, data: bytes) -> str:
    key = serialization.load_pem_private_key(private_pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return base64.b64encode(key.sign(data, ec.ECDSA(hashes.SHA256()))).decode()


def verify_any(public_pems: list[bytes], data: bytes, signature_b64: str) -> bool:
    try:
        sig = base64.b64decode(signature_b64, validate=True)
    except ValueError:
        return False
    if base64.b64encode(sig).decode() != signature_b64:
        return False  # non-canonical base64: another spelling of the same bytes is still an altered code
    for pem in public_pems:
        try:
            load_public(pem).verify(sig, data, ec.ECDSA(hashes.SHA256()))
            return True
        except (InvalidSignature, RuleError, ValueError):
            continue
    return False


def new_reservation_key() -> tuple[str, bytes]:
    """The node's per-request reservation key: (private key hex, public key raw)."""
    key = ed25519.Ed25519PrivateKey.generate()
    priv = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return priv.hex(), pub


# --- request code ----------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    sn: str
    uuid: str  # 32 hex digits
    pubkey: bytes
    nonce: bytes

    @property
    def piid(self) -> str:
        return self.nonce.hex()


def _check(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()[:2]


def make_request(sn: str, uuid_hex: str, pubkey: bytes, nonce: bytes) -> str:
    raw = bytes([REQUEST_VERSION]) + bytes.fromhex(uuid_hex) + pubkey + nonce
    token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    body = f"CB-ZUCCX:{sn}-{token}"
    return f"{body}-{_check(body)}"


_REQUEST = re.compile(r"^CB-ZUCCX:([0-9a-f]{5})-([A-Za-z0-9_-]+)-([0-9a-f]{2})$")


def parse_request(code: str) -> Request:
    """Decode a Reservation Request Code; raise RuleError saying what is wrong."""
    code = code.strip()
    if len(code) > 1024:
        raise RuleError(
            "The Reservation Request Code is far too long; "
            "copy it again from 'license smart reservation request specific'."
        )
    m = _REQUEST.match(code)
    if not m:
        raise RuleError("The Reservation Request Code is malformed: expected CB-ZUCCX:<SN>-<token>-<check>.")
    body = code[:-3]
    if _check(body) != m.group(3):
        raise RuleError("The Reservation Request Code has a typing error (check digits do not match); copy it again.")
    try:
        raw = base64.urlsafe_b64decode(m.group(2) + "=" * (-len(m.group(2)) % 4))
    except ValueError:
        raise RuleError("The Reservation Request Code is malformed: its token is not base64url.") from None
    if len(raw) != 57 or raw[0] != REQUEST_VERSION:
        raise RuleError("The Reservation Request Code is malformed: unknown token version or length.")
    uuid_hex = raw[1:17].hex()
    if uuid_hex[-5:] != m.group(1):
        raise RuleError("The Reservation Request Code is inconsistent: its serial number does not match its UUID.")
    return Request(m.group(1), uuid_hex, raw[17:49], raw[49:57])


# --- authorization code ----------------------------------------------------------------


def udi_text(sn: str, uuid_hex: str) -> str:
    u = uuid_hex
    return f"P:UCCX,S:{sn},U:{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}"


@dataclass(frozen=True)
class Authorization:
    piid: str
    timestamp: int  # milliseconds
    counts: dict[str, int]
    udi: str
    signed: bytes
    signature: str


def make_authorization(
    private_pem: bytes, piid: str, timestamp_ms: int, counts: dict[str, int], sn: str, uuid_hex: str
) -> str:
    ents = []
    for alias, n in counts.items():
        lic = BY_ALIAS[alias]
        ents.append(
            f"<entitlement><tag>{lic.tag}</tag><count>{n}</count><startDate></startDate><endDate></endDate>"
            f"<licenseType>PERPETUAL</licenseType><displayName>{lic.name}</displayName>"
            f"<tagDescription>{lic.description}</tagDescription><subscriptionID></subscriptionID></entitlement>"
        )
    auth = (
        f"<authorizationCode><flag>A</flag><version>C</version><piid>{piid}</piid>"
        f"<timestamp>{timestamp_ms}</timestamp><entitlements>{''.join(ents)}</entitlements>"
        "</authorizationCode>"
    )
    udi = f"<udi>{udi_text(sn, uuid_hex)}</udi>"
    sig = sign(private_pem, (auth + udi).encode())
    return f"<specificPLR>{auth}<signature>{sig}</signature>{udi}</specificPLR>"


_AUTH = re.compile(
    r"^<specificPLR>(<authorizationCode>.*</authorizationCode>)<signature>([A-Za-z0-9+/=]+)</signature>"
    r"(<udi>[^<>]*</udi>)</specificPLR>$",
    re.S,
)


def parse_authorization(code: str) -> Authorization:
    """Parse an Authorization Code safely (no DTD, no entities, bounded size) without
    checking its signature; raise RuleError saying what is wrong."""
    code = code.strip()
    if len(code) > MAX_CODE:
        raise RuleError(f"The Authorization Code is too large ({len(code)} characters; at most {MAX_CODE}).")
    if "<!" in code or "<?" in code or "&" in code:
        raise RuleError(
            "The Authorization Code is malformed: DTDs, processing instructions and entities are not allowed."
        )
    m = _AUTH.match(code)
    if not m:
        raise RuleError(
            "The Authorization Code is malformed: expected <specificPLR><authorizationCode>…"
            "</authorizationCode><signature>…</signature><udi>…</udi></specificPLR>."
        )
    try:
        root = ElementTree.fromstring(m.group(1))
    except ElementTree.ParseError as e:
        raise RuleError(f"The Authorization Code is malformed XML ({e}).") from None
    piid = (root.findtext("piid") or "").strip()
    ts = (root.findtext("timestamp") or "").strip()
    if root.findtext("flag") != "A" or root.findtext("version") != "C":
        raise RuleError("The Authorization Code has an unknown flag or version.")
    if not re.fullmatch(r"[0-9a-f]{16}", piid) or not re.fullmatch(r"[0-9]{1,15}", ts):
        raise RuleError("The Authorization Code is malformed: bad piid or timestamp.")
    counts: dict[str, int] = {}
    ents = root.find("entitlements")
    for ent in ents if ents is not None else []:
        tag, count = (ent.findtext("tag") or "").strip(), (ent.findtext("count") or "").strip()
        if tag not in BY_TAG:
            raise RuleError(f"The Authorization Code names an unknown entitlement tag '{tag[:80]}'.")
        if not re.fullmatch(r"[0-9]{1,6}", count):
            raise RuleError(f"The Authorization Code has a bad count '{count[:20]}' for {BY_TAG[tag].alias}.")
        alias = BY_TAG[tag].alias
        if alias in counts:
            raise RuleError(f"The Authorization Code lists {alias} twice.")
        counts[alias] = int(count)
    udi = m.group(3)[5:-6]
    return Authorization(piid, int(ts), counts, udi, (m.group(1) + m.group(3)).encode(), m.group(2))


def check_authorization(code: str, trusted: list[bytes]) -> Authorization:
    """Parse and verify the signature against the trusted SSM keys."""
    a = parse_authorization(code)
    verify_authorization(a, trusted)
    return a


def verify_authorization(a: Authorization, trusted: list[bytes]) -> None:
    """RuleError unless a trusted SSM key signed exactly this code."""
    if not verify_any(trusted, a.signed, a.signature):
        raise RuleError(
            "The Authorization Code signature is not valid: the code was altered or was not "
            "issued by a trusted SSM. Nothing was changed."
        )


def confirmation(a: Authorization) -> str:
    return confirmation_for(a.piid, a.timestamp, a.udi)


def confirmation_for(piid: str, timestamp_ms: int, udi: str) -> str:
    return hashlib.sha256(f"confirm|{piid}|{timestamp_ms}|{udi}".encode()).hexdigest()[:8]


# --- return code -------------------------------------------------------------------------

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
RETURN_LEN = 80


def _b62(raw: bytes) -> str:
    n = int.from_bytes(b"\x01" + raw, "big")
    out = []
    while n:
        n, r = divmod(n, 62)
        out.append(_B62[r])
    return "".join(reversed(out))


def _unb62(text: str) -> bytes:
    n = 0
    for ch in text:
        i = _B62.find(ch)
        if i < 0:
            raise ValueError(ch)
        n = n * 62 + i
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    if not raw or raw[0] != 1:
        raise ValueError("prefix")
    return raw[1:]


def make_return(private_hex: str, piid: str, t: int) -> str:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_hex))
    body = bytes.fromhex(piid) + t.to_bytes(8, "big")
    return _group(_b62(body + key.sign(b"return|" + body)))


def _group(s: str) -> str:
    return "-".join(s[i : i + 6] for i in range(0, len(s), 6))


def parse_return(code: str) -> tuple[str, int, bytes, bytes]:
    """(piid, time, signed body, signature) of a Reservation Return Code."""
    text = code.strip()
    if len(text) > 1024 or not re.fullmatch(r"[0-9A-Za-z]{1,6}(-[0-9A-Za-z]{1,6})*", text):
        raise RuleError(
            "The Reservation Return Code is malformed: expected groups of 6 letters and digits joined by dashes."
        )
    try:
        raw = _unb62(text.replace("-", ""))
    except ValueError:
        raise RuleError("The Reservation Return Code is malformed.") from None
    if len(raw) != RETURN_LEN or _group(_b62(raw)) != text:
        raise RuleError("The Reservation Return Code is malformed or incomplete.")
    return raw[:8].hex(), int.from_bytes(raw[8:16], "big"), raw[:16], raw[16:]


def verify_return(pubkey: bytes, body: bytes, sig: bytes) -> bool:
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(pubkey).verify(sig, b"return|" + body)
        return True
    except (InvalidSignature, ValueError):
        return False
