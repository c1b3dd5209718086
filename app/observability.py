"""What an operator sees of a running board: request ids, JSON logs and Prometheus metrics.

Every request carries an id (the caller's `X-Request-ID` when it is a sane token, else a
new one), echoed in the response and in every log line written while it runs, so a
user's "it failed at 10:42" can be found across web processes and the proxy in front.
"""

from __future__ import annotations

import gc
import json
import logging
import logging.handlers
import os
import re
import socket
import ssl
import time
import uuid
from collections import deque
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
request_id: ContextVar[str] = ContextVar("request_id", default="-")
# A caller's id is logged as given: only a short plain token, never arbitrary text.
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

# Under several uvicorn workers each process counts its own requests; with
# PROMETHEUS_MULTIPROC_DIR set, prometheus-client keeps the counts in files there and
# /metrics adds up every process's (see app/health.py).
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "jointops_http_requests",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "jointops_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
FEED_POLLS = Counter(
    "jointops_feed_polls",
    "Calendar feed requests, by status (200 served, 304 not modified, 404 unknown token)",
    ["status"],
    registry=REGISTRY,
)

GC_PAUSES = Histogram(
    "jointops_gc_pause_seconds",
    "Time the garbage collector held a web process's interpreter, by generation",
    ["generation"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    registry=REGISTRY,
)


class GarbageCollections:
    """Times each garbage collection of the process (a `gc.callbacks` entry).

    A collection stops every thread of the process: the time it takes is added to every
    request answered meanwhile. The callback runs inside the collection, in whichever
    thread allocated, which may hold prometheus-client's lock at that moment: it only
    appends (atomic), and RequestContext counts the pauses into GC_PAUSES after each
    request.
    """

    def __init__(self) -> None:
        self._started = 0.0  # collections never overlap: each holds the interpreter
        self.pending: deque[tuple[int, float]] = deque()

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pending.append((info["generation"], time.perf_counter() - self._started))

    def count(self) -> None:
        while self.pending:
            generation, seconds = self.pending.popleft()
            GC_PAUSES.labels(str(generation)).observe(seconds)


GARBAGE_COLLECTIONS = GarbageCollections()


def watch_garbage_collections() -> None:
    """Time this process's garbage collections (once however often called)."""
    if GARBAGE_COLLECTIONS not in gc.callbacks:
        gc.callbacks.append(GARBAGE_COLLECTIONS)


def route_template(scope: Scope) -> str:
    """The route's path template (`/operations/{operation_id}`), never the raw path.

    Raw paths would make one series per operation and per feed token (a secret).
    """
    route = scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(template, str):
        return template
    if scope.get("path", "").startswith("/static/"):
        return "/static"
    return "unmatched"


class RequestContext:
    """Give each request an id, and count and time it by route (plain ASGI middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = MutableHeaders(scope=scope).get(REQUEST_ID_HEADER, "")
        rid = sent if _SANE_ID.fullmatch(sent) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            template = route_template(scope)
            REQUESTS.labels(scope["method"], template, str(status)).inc()
            LATENCY.labels(scope["method"], template).observe(time.perf_counter() - started)
            if template.startswith("/feeds/"):
                FEED_POLLS.labels(str(status)).inc()
            GARBAGE_COLLECTIONS.count()
            request_id.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request id.

    Feed tokens are already masked when the record is made (app/feeds/logging.py).
    """

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id.get(),
        }
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Plain lines for people (`JOINTOPS_LOG_FORMAT=text`), one record to a line: line
    breaks in the message are written as \\n and \\r, so text a user typed cannot forge
    a record of its own (ASVS 5.0 16.4.1). Tracebacks stay on their own lines below."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        message = record.message
        for char in ("\\", "\r", "\n", "\x85", "\u2028", "\u2029"):
            message = message.replace(char, char.encode("unicode_escape").decode())
        return self._style.format(_with_message(record, message))


def _with_message(record: logging.LogRecord, message: str) -> logging.LogRecord:
    escaped = logging.makeLogRecord(record.__dict__)
    escaped.message = message
    return escaped


class ShippingSysLogHandler(logging.handlers.SysLogHandler):
    """Sends each record to a syslog collector on another machine (ASVS 5.0 16.4.3), so
    the logs survive, and can be watched, apart from the host that wrote them.

    `target` is JOINTOPS_LOG_SYSLOG (app/config.py `syslog_target`). Over TCP each
    record ends with a line feed (RFC 6587 non-transparent framing; a JSON line holds no
    raw line break), and a dropped connection is opened again on the next record.
    tls:// wraps the TCP connection in TLS (RFC 5425's transport), checking the
    collector's certificate against `cafile` (or the system's CAs) and its name. A
    collector that is down at start-up does not stop the board: its records are
    reported on stderr (logging's handleError) until it answers.
    """

    IDENT = "jointops: "
    TIMEOUT_SECONDS = 5.0

    def __init__(self, target: str, cafile: str | None = None) -> None:
        from app.config import syslog_target

        protocol, host, port = syslog_target(target)
        self.endpoint = (host, port)
        self.tcp = protocol in ("tcp", "tls")
        self.tls = ssl.create_default_context(cafile=cafile) if protocol == "tls" else None
        super().__init__(address=(host, port), facility=self.LOG_LOCAL0,
                         socktype=socket.SOCK_STREAM if self.tcp else socket.SOCK_DGRAM)
        self.ident, self.append_nul = self.IDENT, False

    def createSocket(self) -> None:  # noqa: N802 (logging's name)
        try:
            self._open()
        except OSError:
            if not self.tcp:
                raise
            self.socket = None  # type: ignore[assignment]  # emit tries again

    def _open(self) -> None:
        if not self.tcp:
            super().createSocket()
            return
        # A collector that hangs must not hang the board: connect and send time out.
        host, port = self.endpoint
        sock = socket.create_connection((host, port), timeout=self.TIMEOUT_SECONDS)
        if self.tls is not None:
            try:
                sock = self.tls.wrap_socket(sock, server_hostname=host)
            except OSError:
                sock.close()
                raise
        self.socket = sock  # type: ignore[assignment]  # typeshed: None until opened

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.ident + self.format(record) + ("\n" if self.tcp else "")
            priority = self.encodePriority(self.facility, self.mapPriority(record.levelname))
            data = f"<{priority}>{line}".encode()
            for attempt in (1, 2):
                if not self.socket:
                    self._open()
                sock: Any = self.socket  # None until createSocket succeeds
                try:
                    if self.tcp:
                        sock.sendall(data)
                    else:
                        sock.sendto(data, self.address)
                    return
                except OSError:
                    if not self.tcp or attempt == 2:
                        raise
                    sock.close()  # the collector restarted: connect again
                    self.socket = None  # type: ignore[assignment]
        except Exception:
            self.handleError(record)


def syslog_handler(target: str) -> ShippingSysLogHandler:
    """The shipping handler with the JSON formatter (whatever JOINTOPS_LOG_FORMAT says:
    a collector parses structured lines)."""
    from app.config import get_settings

    handler = ShippingSysLogHandler(target, cafile=get_settings().log_syslog_cafile)
    handler.setFormatter(JsonFormatter())
    return handler


def log_config(log_format: str, syslog: str | None = None) -> dict[str, Any]:
    """A logging dictConfig for the server: the app's INFO records included, also
    shipped to the `syslog` collector (JOINTOPS_LOG_SYSLOG) when one is given.

    uvicorn's own configuration sets up only its loggers, so the board's INFO records
    (worker spawned, runs reaped, feeds pre-rendered) went nowhere.
    """
    formatter = (
        {"()": "app.observability.JsonFormatter"}
        if log_format == "json"
        else {"()": "app.observability.TextFormatter"}
    )
    handlers: dict[str, Any] = {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "board",
            "stream": "ext://sys.stderr",
        }
    }
    if syslog:
        handlers["syslog"] = {"()": "app.observability.syslog_handler", "target": syslog}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"board": formatter},
        "handlers": handlers,
        "root": {"handlers": list(handlers), "level": "INFO"},
        "loggers": {
            name: {"handlers": [], "level": "INFO", "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }
