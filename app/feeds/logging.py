"""Keep feed secrets out of the logs: the token is in the URL path, so mask it there."""

from __future__ import annotations

import logging
import re

# Everything after /feeds/ up to the next separator: a mistyped URL without `.ics`
# carries the secret too.
_FEED_PATH = re.compile(r"/feeds/[^/?#\s\"']+")
MASK = "/feeds/[redacted]"
# uvicorn.access writes the request line; httpx and httpx2 (TestClient, outgoing calls)
# log URLs.
LOGGERS = ("uvicorn.access", "uvicorn.error", "httpx", "httpx2")


def mask_feed_tokens(text: str) -> str:
    """The text with every /feeds/<token> path replaced by a fixed mask."""
    return _FEED_PATH.sub(MASK, text)


class FeedTokenFilter(logging.Filter):
    """Rewrite a record's message and arguments so no feed token reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_feed_tokens(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_mask_arg(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _mask_arg(value) for key, value in record.args.items()}
        return True


def _mask_arg(value: object) -> object:
    # httpx passes URL objects, uvicorn plain strings; only their text matters here.
    if isinstance(value, str):
        return mask_feed_tokens(value)
    if type(value).__name__ == "URL":
        return mask_feed_tokens(str(value))
    return value


def install_token_filter() -> None:
    """Attach the filter once to every logger that may print a feed URL."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, FeedTokenFilter) for f in logger.filters):
            logger.addFilter(FeedTokenFilter())
