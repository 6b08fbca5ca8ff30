"""The codes exchanged between a node and the SSM (SPEC §5), made and checked in one
module used by both sides. This is the only module that imports `cryptography`.

- Reservation Request Code  `CB-ZUCCX:<SN>-<token>-<check>`; token = base64url of
  version(2) | UUID(16) | P-256 reservation public key, compressed(33) | nonce(8) | license
  type(1, the index in catalogue.TYPES); check = 2 hex digits over the rest, so a mistyped
  code is caught before anything else. The license type lets the SSM refuse licenses the
  node cannot use.
  (Version 1 carried an Ed25519 key. Its confirmation codes could be computed by anyone
  holding the authorization code, so the SSM refuses new reservations from version-1
  requests; reservations made from one before keep working: update, confirm, return.)
- Authorization Code        Cisco's `<specificPLR>` XML, signed by the SSM (ECDSA P-256,
  SHA-256, DER, base64, low-s only) over the exact `<authorizationCode>…</authorizationCode>`
  text followed by the exact `<udi>…</udi>` text. `piid` binds it to the request's nonce.
- Confirmation Code         8 lowercase hex digits: an HMAC, keyed with the ECDH secret of the
  node's reservation key and the SSM's key, over the installed code's piid, timestamp and
  UDI. Only the node (and the SSM that issued the code) can compute it: holding the
  authorization code is not enough.
- Reservation Return Code   groups of 6 base-62 characters joined by dashes: piid(8) |
  time(8) | signature(64: P-256 r|s, low-s; Ed25519 for version-1 requests) by the node's
  reservation key.

The node's reservation key for a request is derived from a secret the node keeps for its
lifetime (across factory resets) and the request's nonce, so every code ever authorized for
the node can still be returned.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import NamedTuple
from xml.etree import ElementTree

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from ccxcli.core.catalogue import BY_ALIAS, BY_TAG
from ccxcli.core.state import Term
from ccxcli.core.terms import date_text, end_of, last_day, start_of
from ccxcli.core.udi import udi_text
from ccxcli.errors import RuleError, UsageError
from ccxcli.values import MAX_CODE

REQUEST_VERSION = 2
CURVE = ec.SECP256R1()
NodeKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey  # a request's key: P-256, or v1 Ed25519
ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # n of P-256


# --- SSM keys and signatures ----------------------------------------------------------------


def new_signing_key() -> tuple[bytes, bytes]:
    """A new SSM signing key: (private PEM, public PEM)."""
    key = ec.generate_private_key(CURVE)
    priv = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return priv, public_pem_of(key)


def public_pem_of(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public(pem: bytes) -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError):
        raise RuleError("The file is not a PEM public key (expected the output of 'ccx-ssm key export').") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise RuleError("The public key is not an ECDSA P-256 key of an SSM.")
    return key


def load_private(private_pem: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(private_pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def canonical_public_pem(pem: bytes) -> str:
    """An SSM public key (RuleError if it is not one), written the one standard way."""
    return public_pem_of_public(load_public(pem)).decode()


def public_pem_of_public(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _low_s(r: int, s: int) -> tuple[int, int]:
    """ECDSA signatures are malleable ((r, s) and (r, n - s) both verify): only the low
    form is issued or accepted, so a signature has exactly one valid spelling."""
    return (r, ORDER - s) if s > ORDER // 2 else (r, s)


def sign(private_pem: bytes, data: bytes) -> str:
    """Base64 of the DER ECDSA P-256 / SHA-256 signature, in its low-s form."""
    r, s = decode_dss_signature(load_private(private_pem).sign(data, ec.ECDSA(hashes.SHA256())))
    return base64.b64encode(encode_dss_signature(*_low_s(r, s))).decode()


def _canonical_der(sig: bytes) -> bool:
    try:
        r, s = decode_dss_signature(sig)
    except ValueError:
        return False
    return 0 < r < ORDER and 0 < s <= ORDER // 2 and encode_dss_signature(r, s) == sig


def verify_any(public_pems: list[bytes], data: bytes, signature_b64: str) -> bytes | None:
    """The trusted public key (PEM) that signed `data`, or None. The signature must be in
    its one canonical spelling: canonical base64, canonical DER, low s."""
    try:
        sig = base64.b64decode(signature_b64, validate=True)
    except ValueError:
        return None
    if base64.b64encode(sig).decode() != signature_b64 or not _canonical_der(sig):
        return None
    for pem in public_pems:
        try:
            load_public(pem).verify(sig, data, ec.ECDSA(hashes.SHA256()))
            return pem
        except (InvalidSignature, RuleError, ValueError):
            continue
    return None


# --- the node's reservation keys ---------------------------------------------------------------


def new_secret() -> str:
    """The node's lifetime reservation secret (hex)."""
    import secrets

    return secrets.token_hex(32)


def reservation_key(material: dict[str, str]) -> NodeKey:
    """The node's private key for one request: `{"secret": hex, "piid": hex}` derives a
    P-256 key; `{"legacy": hex}` is a version-1 Ed25519 key kept in the state."""
    if "legacy" in material:
        return ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(material["legacy"]))
    digest = hmac.new(
        bytes.fromhex(material["secret"]), b"ccx-slr-key|" + bytes.fromhex(material["piid"]), hashlib.sha512
    ).digest()
    return ec.derive_private_key(int.from_bytes(digest, "big") % (ORDER - 1) + 1, CURVE)


def public_bytes(key: NodeKey) -> bytes:
    """The raw public key put in a request code (33 bytes P-256 compressed, 32 Ed25519)."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)


# --- request code ----------------------------------------------------------------------


class Request(NamedTuple):
    sn: str
    uuid: str  # 32 hex digits
    pubkey: bytes  # 33 bytes (P-256, version 2) or 32 (Ed25519, version 1)
    nonce: bytes
    license_type: str | None = None  # version 2 says it

    @property
    def piid(self) -> str:
        return self.nonce.hex()

    @property
    def version(self) -> int:
        return 1 if len(self.pubkey) == 32 else REQUEST_VERSION


def _check(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()[:2]


def make_request(sn: str, uuid_hex: str, pubkey: bytes, nonce: bytes, license_type: str | None = None) -> str:
    from ccxcli.core.catalogue import TYPES

    raw = bytes([REQUEST_VERSION if len(pubkey) == 33 else 1]) + bytes.fromhex(uuid_hex) + pubkey + nonce
    if len(pubkey) == 33:
        raw += bytes([list(TYPES).index(license_type or "flex")])
    token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    body = f"CB-ZUCCX:{sn}-{token}"
    return f"{body}-{_check(body)}"


_REQUEST = re.compile(r"CB-ZUCCX:([0-9a-f]{5})-([A-Za-z0-9_-]+)-([0-9a-f]{2})")
_KEY_LEN = {1: 32, 2: 33}
_TYPE_LEN = {1: 0, 2: 1}


def parse_request(code: str) -> Request:
    """Decode a Reservation Request Code; raise RuleError saying what is wrong."""
    code = code.strip()
    if len(code) > 1024:
        raise RuleError(
            "The Reservation Request Code is far too long; "
            "copy it again from 'license smart reservation request specific'."
        )
    m = _REQUEST.fullmatch(code)
    if not m:
        raise RuleError("The Reservation Request Code is malformed: expected CB-ZUCCX:<SN>-<token>-<check>.")
    body = code[:-3]
    if _check(body) != m.group(3):
        raise RuleError("The Reservation Request Code has a typing error (check digits do not match); copy it again.")
    try:
        raw = base64.urlsafe_b64decode(m.group(2) + "=" * (-len(m.group(2)) % 4))
    except ValueError:
        raise RuleError("The Reservation Request Code is malformed: its token is not base64url.") from None
    from ccxcli.core.catalogue import TYPES

    version = raw[0] if raw else 0
    klen = _KEY_LEN.get(version)
    if klen is None or len(raw) != 1 + 16 + klen + 8 + _TYPE_LEN[version]:
        raise RuleError("The Reservation Request Code is malformed: unknown token version or length.")
    uuid_hex = raw[1:17].hex()
    if uuid_hex[-5:] != m.group(1):
        raise RuleError("The Reservation Request Code is inconsistent: its serial number does not match its UUID.")
    pubkey = raw[17 : 17 + klen]
    if klen == 33:
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(CURVE, pubkey)
        except ValueError:
            raise RuleError("The Reservation Request Code is malformed: its key is not a valid point.") from None
    license_type = None
    if _TYPE_LEN[version]:
        if raw[-1] >= len(TYPES):
            raise RuleError("The Reservation Request Code is malformed: unknown license type.")
        license_type = list(TYPES)[raw[-1]]
    return Request(m.group(1), uuid_hex, pubkey, raw[17 + klen : 25 + klen], license_type)


# --- authorization code ----------------------------------------------------------------


class Authorization(NamedTuple):
    piid: str
    timestamp: int  # milliseconds
    counts: dict[str, int]
    udi: str
    signed: bytes
    signature: str
    terms: tuple[Term, ...] = ()  # the entitlements of a subscription term (counted in `counts` too)


def _entitlement(alias: str, n: int, term: Term | None) -> str:
    lic = BY_ALIAS[alias]
    start, end, kind, sub = ("", "", "PERPETUAL", "")
    if term is not None:
        start, end, kind, sub = date_text(term["starts"]), last_day(term["ends"]), "TERM", term["sub"]
    return (
        f"<entitlement><tag>{lic.tag}</tag><count>{n}</count><startDate>{start}</startDate><endDate>{end}</endDate>"
        f"<licenseType>{kind}</licenseType><displayName>{lic.name}</displayName>"
        f"<tagDescription>{lic.description}</tagDescription><subscriptionID>{sub}</subscriptionID></entitlement>"
    )


def make_authorization(
    private_pem: bytes,
    piid: str,
    timestamp_ms: int,
    counts: dict[str, int],
    sn: str,
    uuid_hex: str,
    terms: tuple[Term, ...] = (),
) -> str:
    """An Authorization Code for `counts`; of those, the licenses of `terms` are listed as
    TERM entitlements with their dates and subscription, the rest as one PERPETUAL entitlement
    per license."""
    ents = []
    for alias, n in counts.items():
        mine = [t for t in terms if t["alias"] == alias]
        perpetual = n - sum(t["count"] for t in mine)
        if perpetual or not mine:
            ents.append(_entitlement(alias, perpetual, None))
        ents += [_entitlement(alias, t["count"], t) for t in mine]
    auth = (
        f"<authorizationCode><flag>A</flag><version>C</version><piid>{piid}</piid>"
        f"<timestamp>{timestamp_ms}</timestamp><entitlements>{''.join(ents)}</entitlements>"
        "</authorizationCode>"
    )
    udi = f"<udi>{udi_text(sn, uuid_hex)}</udi>"
    sig = sign(private_pem, (auth + udi).encode())
    return f"<specificPLR>{auth}<signature>{sig}</signature>{udi}</specificPLR>"


_AUTH = re.compile(
    r"<specificPLR>(<authorizationCode>.*</authorizationCode>)<signature>([A-Za-z0-9+/=]+)</signature>"
    r"(<udi>[^<>]*</udi>)</specificPLR>",
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
    m = _AUTH.fullmatch(code)
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
    terms: list[Term] = []
    seen: set[tuple[str, str]] = set()
    ents = root.find("entitlements")
    for ent in ents if ents is not None else []:
        tag, count = (ent.findtext("tag") or "").strip(), (ent.findtext("count") or "").strip()
        if tag not in BY_TAG:
            raise RuleError(f"The Authorization Code names an unknown entitlement tag '{tag[:80]}'.")
        if not re.fullmatch(r"[0-9]{1,6}", count):
            raise RuleError(f"The Authorization Code has a bad count '{count[:20]}' for {BY_TAG[tag].alias}.")
        alias = BY_TAG[tag].alias
        term = _term_of(ent, alias, int(count))
        key = (alias, term["sub"] if term else "")
        if key in seen:
            raise RuleError(f"The Authorization Code lists {alias} twice.")
        seen.add(key)
        counts[alias] = counts.get(alias, 0) + int(count)
        if term is not None:
            terms.append(term)
    udi = m.group(3)[5:-6]
    return Authorization(piid, int(ts), counts, udi, (m.group(1) + m.group(3)).encode(), m.group(2), tuple(terms))


def _term_of(ent: ElementTree.Element, alias: str, count: int) -> Term | None:
    """An entitlement's term (None: PERPETUAL, no dates); RuleError for a half-written one."""
    kind = (ent.findtext("licenseType") or "PERPETUAL").strip()
    start, end = (ent.findtext("startDate") or "").strip(), (ent.findtext("endDate") or "").strip()
    sub = (ent.findtext("subscriptionID") or "").strip()
    if kind == "PERPETUAL" and not (start or end or sub):
        return None
    if kind != "TERM" or not re.fullmatch(r"[A-Za-z0-9-]{1,40}", sub):
        raise RuleError(f"The Authorization Code has a malformed term for {alias} (licenseType, subscriptionID).")
    try:
        starts, ends = start_of(start, "start date"), end_of(end, "end date")
    except UsageError:
        raise RuleError(f"The Authorization Code has malformed term dates for {alias}.") from None
    if ends <= starts:
        raise RuleError(f"The Authorization Code has a term for {alias} that ends before it starts.")
    return {"alias": alias, "count": count, "starts": starts, "ends": ends, "sub": sub}


def verify_authorization(a: Authorization, trusted: list[bytes]) -> bytes:
    """The trusted SSM public key (PEM) that signed exactly this code; RuleError if none."""
    signer = verify_any(trusted, a.signed, a.signature)
    if signer is None:
        raise RuleError(
            "The Authorization Code signature is not valid: the code was altered or was not "
            "issued by a trusted SSM. Nothing was changed."
        )
    return signer


# --- confirmation code ---------------------------------------------------------------------------


def _confirm(shared: bytes, piid: str, timestamp_ms: int, udi: str) -> str:
    return hmac.new(shared, f"confirm|{piid}|{timestamp_ms}|{udi}".encode(), hashlib.sha256).hexdigest()[:8]


def legacy_confirmation(piid: str, timestamp_ms: int, udi: str) -> str:
    """Version-1 reservations (Ed25519 request keys) keep their original confirmation."""
    return hashlib.sha256(f"confirm|{piid}|{timestamp_ms}|{udi}".encode()).hexdigest()[:8]


def node_confirmation(key: NodeKey, ssm_public_pem: bytes, a: Authorization) -> str:
    """The Confirmation Code the node prints after installing an update `a`."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return legacy_confirmation(a.piid, a.timestamp, a.udi)
    return _confirm(key.exchange(ec.ECDH(), load_public(ssm_public_pem)), a.piid, a.timestamp, a.udi)


def ssm_confirmation(private_pem: bytes, node_pubkey: bytes, piid: str, timestamp_ms: int, udi: str) -> str:
    """The Confirmation Code the SSM expects for the update it issued at `timestamp_ms`."""
    if len(node_pubkey) == 32:
        return legacy_confirmation(piid, timestamp_ms, udi)
    node = ec.EllipticCurvePublicKey.from_encoded_point(CURVE, node_pubkey)
    return _confirm(load_private(private_pem).exchange(ec.ECDH(), node), piid, timestamp_ms, udi)


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


def make_return(key: NodeKey, piid: str, t: int) -> str:
    body = bytes.fromhex(piid) + t.to_bytes(8, "big")
    message = b"return|" + body
    if isinstance(key, ed25519.Ed25519PrivateKey):
        sig = key.sign(message)
    else:
        r, s = _low_s(*decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256()))))
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return _group(_b62(body + sig))


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
    message = b"return|" + body
    try:
        if len(pubkey) == 32:
            ed25519.Ed25519PublicKey.from_public_bytes(pubkey).verify(sig, message)
            return True
        r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
        if not (0 < r < ORDER and 0 < s <= ORDER // 2):
            return False  # only the low-s spelling of a signature is accepted
        key = ec.EllipticCurvePublicKey.from_encoded_point(CURVE, pubkey)
        key.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, ValueError):
        return False
