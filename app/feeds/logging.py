"""Keep feed secrets out of the logs: the token is in the URL path, so mask it there."""

from __future__ import annotations

import logging
import re
from typing import Any


def _spelt_any_way(text: str) -> str:
    """A pattern of `text` with any of its characters percent-encoded (`/%66eeds%2F`):
    the server decodes them and serves the feed, while logs show the path as sent."""
    return "".join(f"(?:{re.escape(c)}|%{ord(c):02x})" for c in text)


# Everything after /feeds/ up to the next separator: a mistyped URL without `.ics`
# carries the secret too; so does one with percent-encoded letters or slashes.
_FEED_PATH = re.compile(_spelt_any_way("/feeds/") + r"[^/?#\s\"']+", re.IGNORECASE)
MASK = "/feeds/[redacted]"


def mask_feed_tokens(text: str) -> str:
    """The text with every /feeds/<token> path replaced by a fixed mask."""
    return _FEED_PATH.sub(MASK, text)


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Rewrite a record's message and arguments so no feed token reaches a handler."""
    if isinstance(record.msg, str):
        record.msg = mask_feed_tokens(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_mask_arg(arg) for arg in record.args)
    elif isinstance(record.args, dict):
        record.args = {key: _mask_arg(value) for key, value in record.args.items()}
    return record


def _mask_arg(value: object) -> object:
    # httpx passes URL objects, uvicorn plain strings; only their text matters here.
    if isinstance(value, str):
        return mask_feed_tokens(value)
    if type(value).__name__ == "URL":
        return mask_feed_tokens(str(value))
    return value


def install_token_masking() -> None:
    """Mask feed paths in every log record this process makes, once.

    At record creation rather than as a filter on chosen loggers: a logger's filter
    misses the records of any other logger (the app's own error log named the path of a
    failed feed request), and any library may log a URL.
    """
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "masks_feed_tokens", False):
        return

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(make_record(*args, **kwargs))

    masked_record.masks_feed_tokens = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(masked_record)
