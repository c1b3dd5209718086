"""The officers' languages: which one a request reads, its message catalogue, and dates and
numbers formatted for it.

The catalogues are the `.po` files in `app/translations/` (one per language, the
English text is the message id), read once at start: no compile step, nothing binary in
the repository. A request's language comes from the `jointops_lang` cookie (set from the
user's choice on the account page, and at sign-in from the choice saved with the user),
then the browser's Accept-Language, then English. A plain ASGI middleware puts it in a
context variable that `gettext` reads, so pages, form errors and flash messages made
during the request all speak it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app.config import get_settings

DEFAULT = "en"
# Code (as in the cookie, the user's row and <html lang>) -> the language's own name.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "zh-Hans": "中文（简体）",
    "th": "ไทย",
    "lo": "ລາວ",
    "my": "မြန်မာ",
    "km": "ខ្មែរ",
    "vi": "Tiếng Việt",
}
# Babel's name of each locale (zh-Hans is Babel's zh_Hans).
BABEL_LOCALE = {code: code.replace("-", "_") for code in LANGUAGES}
LANGUAGE_COOKIE = "jointops_lang"
CATALOGUES = Path(__file__).parent / "translations"

current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT)


@cache
def catalogue(code: str) -> dict[str, str]:
    """Message id -> translation of one language (untranslated and fuzzy entries left out,
    so they fall back to English rather than show an empty string)."""
    path = CATALOGUES / f"{code}.po"
    if code == DEFAULT or not path.exists():
        return {}
    with path.open("rb") as handle:
        parsed = read_po(handle, locale=BABEL_LOCALE[code])
    return {
        str(message.id): str(message.string)
        for message in parsed
        if message.id and message.string and not message.fuzzy and isinstance(message.id, str)
    }


def gettext(message: str) -> str:
    """`message` in the request's language (English when it has no translation)."""
    return catalogue(current_language.get()).get(message, message)


def N_(message: str) -> str:
    """Mark English text for the catalogues without translating it yet: a constant made at
    import (a field label, a state's name) has no request language; the page translates
    it where it is shown (`translated`, the `translated` filter)."""
    return message


class Deferred(str):
    """English text (it *is* the English string: API bodies, logs and equality keep it)
    that also remembers its message id and values, so a page can show it in the reader's
    language when it is rendered rather than when it was raised."""

    msgid: str
    params: dict[str, object]

    def __new__(cls, message: str, **params: object) -> Deferred:
        text = str.__new__(cls, message % params if params else message)
        text.msgid, text.params = message, params
        return text


class Joined(str):
    """English phrases joined by `separator` (it *is* the English text) that a reader
    reads phrase by phrase in their language: a notice's list of what changed."""

    parts: tuple[object, ...]
    separator: str

    def __new__(cls, parts: list[object], separator: str = "; ") -> Joined:
        text = str.__new__(cls, separator.join(str(part) for part in parts))
        text.parts, text.separator = tuple(parts), separator
        return text


def later(message: str, **params: object) -> Deferred:
    """`message` with `%(name)s` values, marked for the catalogues, translated when shown."""
    return Deferred(message, **params)


_VALUE = re.compile(r"%\((\w+)\)s")


@cache
def _patterns(texts: tuple[str, ...]) -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each text as a pattern whose groups are its values."""
    found = []
    for text in texts:
        pieces = _VALUE.split(text)  # literal, name, literal, name, ..., literal
        regex = "".join(re.escape(piece) if i % 2 == 0 else f"(?P<{piece}>.+?)"
                        for i, piece in enumerate(pieces))
        found.append((re.compile(regex), text))
    return tuple(found)


def read_back(english: str, texts: tuple[str, ...]) -> str:
    """English that one of `texts` (messages with %(name)s values) produced, read back
    into that message and its values (a `Deferred`, shown in the reader's language); the
    first text that matches the whole of it wins. Anything else is returned unchanged:
    words this table does not know stay English rather than be guessed at."""
    for pattern, text in _patterns(texts):
        match = pattern.fullmatch(english)
        if match:
            return later(text, **match.groupdict())
    return english


def translated(text: object) -> object:
    """Text as the reader reads it: a `Deferred` by its id and values (themselves
    translated), other text by its English words when a catalogue holds them (messages
    marked with `N_`), anything else unchanged."""
    if isinstance(text, Deferred):
        values = {name: translated(value) for name, value in text.params.items()}
        return gettext(text.msgid) % values if values else gettext(text.msgid)
    if isinstance(text, Joined):
        return text.separator.join(str(translated(part)) for part in text.parts)
    if isinstance(text, str):
        return gettext(text)
    return text


def shown(errors: Mapping[str, str]) -> dict[str, str]:
    """A form's field errors as its page shows them: each in the reader's language."""
    return {path: str(translated(text)) for path, text in errors.items()}


# pydantic's own English by error type, as message ids (the same words, so the English
# pages and the API bodies stay as they were); a message that reads otherwise stays as is.
PYDANTIC_MESSAGES = {
    "missing": N_("Field required"),
    "string_too_short": N_("String should have at least %(min_length)s character"),
    "string_too_long": N_("String should have at most %(max_length)s characters"),
    "greater_than_equal": N_("Input should be greater than or equal to %(ge)s"),
    "greater_than": N_("Input should be greater than %(gt)s"),
    "less_than_equal": N_("Input should be less than or equal to %(le)s"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional "
                         "part"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "enum": N_("Input should be %(expected)s"),
}
PLURAL_PYDANTIC = {"string_too_short": N_("String should have at least %(min_length)s "
                                          "characters")}


def pydantic_message(err: Mapping[str, Any]) -> str:
    """The message of one pydantic error (without its "Value error, "), as a `Deferred`
    when the catalogues know it: a validator's `later(…)`, or pydantic's own words."""
    text = str(err.get("msg", "")).removeprefix("Value error, ")
    ctx = dict(err.get("ctx") or {})
    raised = ctx.pop("error", None)
    if isinstance(raised, Exception) and raised.args and isinstance(raised.args[0], Deferred):
        return raised.args[0]
    kind = str(err.get("type", ""))
    for table in (PLURAL_PYDANTIC, PYDANTIC_MESSAGES):
        if kind in table:
            candidate = later(table[kind], **ctx)
            if candidate == text:
                return candidate
    return text


def ngettext(singular: str, plural: str, n: int) -> str:
    """Catalogues hold no plural forms: each plural is written as one phrase that reads
    right for any count (e.g. "Persons: 3"), which every language here can do."""
    return gettext(singular if n == 1 else plural)


def pick(cookie_value: str | None, accept_language: str | None) -> str:
    """The language of a request: its cookie, else the browser's first supported choice."""
    if cookie_value in LANGUAGES:
        return str(cookie_value)
    for code in _accepted(accept_language or ""):
        found = _supported(code)
        if found:
            return found
    return DEFAULT


def _accepted(header: str) -> list[str]:
    """Accept-Language tags, highest q first (ties keep the browser's order)."""
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


def _supported(tag: str) -> str | None:
    lowered = tag.lower()
    if lowered.startswith("zh"):
        # Simplified Chinese for zh, zh-CN, zh-SG and zh-Hans; none for zh-TW/HK/Hant.
        return None if any(x in lowered for x in ("hant", "-tw", "-hk", "-mo")) else "zh-Hans"
    primary = lowered.split("-")[0]
    return primary if primary in LANGUAGES else None


@contextmanager
def speaking(code: str) -> Iterator[None]:
    """Run a block in one language (mails and feeds made outside a request)."""
    token = current_language.set(code if code in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        current_language.reset(token)


class RequestLanguage:
    """Set `current_language` for each request (plain ASGI middleware: no extra task)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cookies = _cookies(headers.get("cookie", ""))
        # Under its __Host- name in production, like every cookie of the board.
        name = get_settings().cookie_name(LANGUAGE_COOKIE)
        token = current_language.set(pick(cookies.get(name), headers.get("accept-language")))
        try:
            await self.app(scope, receive, send)
        finally:
            current_language.reset(token)


def _cookies(header: str) -> dict[str, str]:
    pairs = (part.strip().partition("=") for part in header.split(";"))
    return {name: value for name, _, value in pairs if name}


# --- formatting ---------------------------------------------------------------------


def _locale() -> Locale:
    return _babel_locale(current_language.get())


@cache
def _babel_locale(code: str) -> Locale:
    return Locale.parse(BABEL_LOCALE[code])


def fmt_number(value: int | float | None) -> str:
    """A count or figure with the reader's grouping and decimal signs (1,234.5 / 1.234,5)."""
    if value is None:
        return ""
    return _formatted_number(current_language.get(), value)


@lru_cache(maxsize=4096, typed=True)
def _formatted_number(code: str, value: int | float) -> str:
    # Kept: Babel applies the locale's pattern anew each time (0.1 ms), and the board
    # shows the same few counts dozens of times on every view.
    return format_decimal(value, locale=_babel_locale(code))


def fmt_day(value: datetime | None) -> str:
    """A calendar day in the reader's words, e.g. 8 Dec 2026 / 2026年12月8日 / 8 ธ.ค. 2569.

    Times stay 24-hour and numeric everywhere (fmt_utc, fmt_local): officers of six
    countries compare them across zones, and a local clock format would hide that.
    """
    if value is None:
        return ""
    from babel.dates import format_date

    return format_date(value, format="medium", locale=_locale())


def fmt_day_month(value: datetime) -> str:
    """A day and short month in the reader's words, e.g. 03 Dec / 12月3日 / 3 ธ.ค., of the
    value's own calendar day (a UTC instant: its UTC day)."""
    return _day_month(current_language.get(), value.year, value.month, value.day)


def fmt_month_year(value: datetime) -> str:
    """A month and year in the reader's words, e.g. December 2026 / 2026年12月."""
    return _month_year(current_language.get(), value.year, value.month)


# Kept: a timeline labels hundreds of bars with a handful of days, and Babel matches the
# skeleton to the locale's patterns anew on each call.
@lru_cache(maxsize=1024)
def _day_month(code: str, year: int, month: int, day: int) -> str:
    if code == DEFAULT:
        # English as the board has always written it (zero-padded, day first).
        return datetime(year, month, day).strftime("%d %b")
    from babel.dates import format_skeleton

    return format_skeleton("dMMM", datetime(year, month, day), locale=_babel_locale(code))


@lru_cache(maxsize=256)
def _month_year(code: str, year: int, month: int) -> str:
    from babel.dates import format_skeleton

    return format_skeleton("yMMMM", datetime(year, month, 1), locale=_babel_locale(code))


def language_name(code: str | None) -> str:
    return LANGUAGES.get(code or DEFAULT, LANGUAGES[DEFAULT])
