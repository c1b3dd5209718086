"""Time-based one-time passwords (RFC 6238: 6 digits, 30 s) and recovery codes.

New enrolments use HMAC-SHA-256 with a 256-bit secret (ASVS 5.0 11.4.1: SHA-1 is not
approved for making new material), unless JOINTOPS_TOTP_ALGORITHM=SHA1 asks for
HMAC-SHA1, for a fleet whose authenticator app makes SHA-1 codes only. Each user's row
names the algorithm of their enrolment (`users.totp_algorithm`), so secrets enrolled
under SHA-1 before keep being verified with it (verifying existing material is allowed)
until the user enrols again.

Written with hmac and hashlib rather than a dependency: the algorithm is twenty lines,
and the board installs with no internet (tests check it against the RFC's vectors for
SHA-1 and SHA-256).
"""

from __future__ import annotations

import base64
import hmac
import secrets
import struct
from datetime import datetime
from urllib.parse import quote, urlencode

from app import digests
from app.config import get_settings

STEP_SECONDS = 30
DIGITS = 6
# Codes of the step before and after are accepted too: phone clocks drift.
DRIFT_STEPS = 1
RECOVERY_CODES = 10
ISSUER = "JointOps"
# The HMAC hashes an enrolment may use: the name stored in users.totp_algorithm (a
# hashlib name) -> the name in the otpauth:// URI. SHA1 only for enrolments made with it.
ALGORITHMS = {"sha256": "SHA256", "sha1": "SHA1"}
# What an enrolment made before users.totp_algorithm existed used (the migration
# totp_algorithm_1400 writes it into those rows).
LEGACY_ALGORITHM = "sha1"
SECRET_BYTES = 32  # 256 bits: HMAC-SHA-256's output size (RFC 4226 asks 160 at least)


def new_secret() -> str:
    """A random 256-bit secret in base32 without padding (what authenticator apps take)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def configured_algorithm() -> str:
    """The algorithm of new enrolments (JOINTOPS_TOTP_ALGORITHM), as stored."""
    return get_settings().totp_algorithm.lower()


def _key(secret: str) -> bytes:
    cleaned = secret.replace(" ", "").upper().rstrip("=")
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def _digest(algorithm: str) -> str:
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown TOTP algorithm {algorithm!r}: one of {', '.join(ALGORITHMS)}")
    return algorithm


def hotp(secret: str, counter: int, *, algorithm: str, digits: int = DIGITS) -> str:
    """RFC 4226 HOTP value of `counter`, with HMAC-`algorithm` (RFC 6238 section 1.2)."""
    mac = hmac.new(_key(secret), struct.pack(">Q", counter), _digest(algorithm)).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def step_of(at: datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def code_at(secret: str, at: datetime, *, algorithm: str) -> str:
    """The code an authenticator shows at `at`."""
    return hotp(secret, step_of(at), algorithm=algorithm)


def matching_step(
    secret: str, code: str, at: datetime, *, after: int | None, algorithm: str
) -> int | None:
    """The step whose code this is (within the drift), if later than `after`; else None.

    Refusing steps up to `after` (the last one accepted) makes every code single-use.
    `algorithm` is the enrolment's own: a code made with another hash does not match.
    """
    _digest(algorithm)  # an unknown name is refused even for a malformed code
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = step_of(at)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(hotp(secret, step, algorithm=algorithm), code):
            return step
    return None


def provisioning_uri(secret: str, *, username: str, algorithm: str) -> str:
    """The otpauth:// URI authenticator apps read (as a QR code or pasted)."""
    label = quote(f"{ISSUER}:{username}")
    query = urlencode({"secret": secret, "issuer": ISSUER,
                       "algorithm": ALGORITHMS[_digest(algorithm)],
                       "digits": DIGITS, "period": STEP_SECONDS})
    return f"otpauth://totp/{label}?{query}"


def new_recovery_codes() -> list[str]:
    """Ten one-time codes such as `k7qmz-3xvdw-p2tnh-r8aeb-q4yfc` (124 random bits each).

    At least 112 bits, so that SHA-256 may keep them (ASVS 5.0 6.5.2: shorter lookup
    secrets need a salted password hash). Codes issued before (60 bits, 3 groups of 4)
    still work until used or replaced; enrolling again issues the long ones."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return [
        "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(5))
        for _ in range(RECOVERY_CODES)
    ]


def _normal(code: str) -> str:
    return code.strip().lower().replace(" ", "").replace("-", "")


def recovery_digest(code: str) -> str:
    """What is stored for a recovery code: the digest (app/digests.py, SHA-256) of its
    normalised form (the codes are random and long, so a fast hash is enough; argon2 is
    for chosen passwords)."""
    return digests.digest(_normal(code))


def recovery_digests(code: str) -> list[str]:
    """The digests a stored recovery code may have (every accepted scheme)."""
    return digests.candidates(_normal(code))
