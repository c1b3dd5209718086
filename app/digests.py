"""Digests stored instead of secret tokens: session tokens, feed tokens, recovery codes.

Crypto agility (ASVS 5.0 11.2.2): the digest of a new token is made with CURRENT; a token
is looked up under every scheme in SCHEMES, so a new scheme can be added and made current
while the tokens issued under the old one keep working until they expire or are revoked;
then the old scheme is removed. The rows need not say which scheme made them: a digest
under another scheme of another secret matching is as unlikely as a collision. Every
scheme gives 64 hex digits, the width of the digest columns.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

SCHEMES: dict[str, Callable[[bytes], str]] = {
    "sha256": lambda data: hashlib.sha256(data).hexdigest(),
}
CURRENT = "sha256"


def digest(secret: str, scheme: str | None = None) -> str:
    """The digest stored for a new secret (under `scheme`, CURRENT unless named)."""
    return SCHEMES[scheme or CURRENT](secret.encode("utf-8"))


def candidates(secret: str) -> list[str]:
    """The digests a stored secret may have: under the current scheme first, then the
    others still accepted."""
    return [digest(secret, CURRENT), *(digest(secret, name) for name in SCHEMES
                                       if name != CURRENT)]
