"""The password policy: long enough, not blank, not a common password, not a breached one
(ASVS 5.0 6.2.4, 6.2.12)."""

from __future__ import annotations

import functools
import secrets
from pathlib import Path

from app.i18n import later

MIN_LENGTH = 12
MAX_LENGTH = 128
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")
# 43,940 passwords of 12+ characters from breach corpora (the file's header says whence).
BREACHED_PASSWORDS = Path(__file__).with_name("breached_passwords.txt")
# Words of this board's own context (ASVS 5.0 6.1.2): a password made of them and digits
# or symbols only, such as "JointOps2026!" or "Mekong-Police-1", is refused. A password
# that has four or more letters besides them ("Mekong river cruise") is fine.
CONTEXT_WORDS = (
    "jointops", "joint", "operations", "operation", "ops", "board", "mekong", "lancang",
    "police", "policia", "agency", "coordinator", "coordination", "administrator", "admin",
    "planner", "liaison", "officer", "unit", "raid", "tasking", "thailand", "myanmar",
    "burma", "laos", "lao", "cambodia", "vietnam", "china", "kunming", "bangkok",
    "vientiane", "yangon", "naypyidaw", "hanoi", "phnompenh", "chiangrai", "chiangsaen",
    "goldentriangle", "demo",
)


@functools.cache
def common_passwords() -> frozenset[str]:
    """The local list of common passwords, lower case (read once, no network)."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


@functools.cache
def breached_passwords() -> frozenset[str]:
    """The local set of breached passwords, lower case (read once, no network). Only the
    header's lines start with "# ": listed passwords may start with "#"."""
    lines = BREACHED_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.lower() for line in lines if line and not line.startswith("# "))


def password_problem(password: str, *, username: str = "") -> str | None:
    """Why this password is refused, or None when it is acceptable: English text that a
    page shows in the reader's language (`later`; the API and the CLI keep the English)."""
    if not password.strip():
        return later("the password cannot be blank or only spaces")
    if len(password) < MIN_LENGTH:
        return later("the password needs at least %(min)s characters (got %(got)s)",
                     min=MIN_LENGTH, got=len(password))
    if len(password) > MAX_LENGTH:
        return later("the password may have at most %(max)s characters", max=MAX_LENGTH)
    folded = password.strip().lower()
    if folded in common_passwords() or len(set(folded)) == 1:
        return later("this password is on the list of common passwords: choose another")
    if folded in breached_passwords():
        return later("this password was published in a data breach, so attackers try it "
                     "first: choose another")
    if _only_context_words(folded):
        return later("the password is made of words of this board (such as jointops, mekong, "
                     "police, admin) and digits or symbols: add words of your own")
    # (short usernames such as "li" would refuse half of all passwords)
    if len(username) >= 4 and username.lower() in folded:
        return later("the password must not contain the username")
    return None


# Lower-case letters and digits that cannot be mistaken for one another when read aloud
# or copied by hand (no 0/o, 1/l/i): 31 symbols, about 4.95 bits each.
GENERATED_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
GENERATED_GROUPS, GENERATED_GROUP_LENGTH = 4, 5


def generate_password(*, username: str = "") -> str:
    """A system-generated initial password (ASVS 5.0 6.4.1): 20 characters drawn by
    `secrets` (about 99 bits), in four groups of five, that passes the policy above."""
    while True:
        password = "-".join(
            "".join(secrets.choice(GENERATED_ALPHABET) for _ in range(GENERATED_GROUP_LENGTH))
            for _ in range(GENERATED_GROUPS)
        )
        if password_problem(password, username=username) is None:
            return password


def _only_context_words(folded: str) -> bool:
    """True when, without the context words, fewer than 4 letters are left."""
    letters = "".join(ch for ch in folded if ch.isalpha())
    rest = letters
    for word in sorted(CONTEXT_WORDS, key=len, reverse=True):
        rest = rest.replace(word, "")
    return rest != letters and len(rest) < 4


def check_password(password: str, *, username: str = "") -> str:
    """The password, or ValueError naming what is wrong (for pydantic validators)."""
    problem = password_problem(password, username=username)
    if problem:
        raise ValueError(problem)
    return password
