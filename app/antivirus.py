"""Virus scanning of uploads with ClamAV's clamd (ASVS 5.0 5.4.3), when one is configured.

JOINTOPS_CLAMD names the daemon: "unix:///path/to/clamd.sock" or an absolute path (its
LocalSocket), or "host:port" / "tcp://host:port" (its TCPSocket; clamd has no TLS, so
production accepts TCP to this host only: app/config.py). Uploads (intelligence-note
attachments, scenario imports) are streamed to it with the INSTREAM command before
anything is saved: an infected file is refused, and when the scanner cannot answer the
upload is refused too (fail closed: an unscanned file is never kept while scanning is
configured). Unset, nothing is scanned; production warns at start-up (app/main.py).
"""

from __future__ import annotations

import logging
import socket
import struct

from app.config import clamd_target, get_settings
from app.errors import AppError
from app.i18n import later

log = logging.getLogger(__name__)

# clamd reads INSTREAM in chunks, each prefixed by its length (4 bytes, network order);
# a zero length ends the stream. Its StreamMaxLength (100M upstream, 25M in Debian's
# clamd.conf) must exceed the largest upload (20 MiB imports); past it clamd answers an
# error, which is refused like an unreachable scanner.
CHUNK = 64 * 1024


class Infected(AppError):
    """The scanner found `signature` in the upload: nothing was saved."""

    def __init__(self, signature: str) -> None:
        super().__init__(later("A virus scanner found %(signature)s in the file: it was not"
                               " saved.", signature=signature), 422)
        self.signature = signature


class ScannerUnavailable(AppError):
    """The configured scanner did not answer: nothing was saved."""

    def __init__(self) -> None:
        super().__init__(later("The virus scanner cannot be reached, so the file was not"
                               " saved: try again later."), 503)


def check(data: bytes, *, what: str) -> None:
    """Raise Infected or ScannerUnavailable unless clamd says `data` is clean; no-op
    when JOINTOPS_CLAMD is unset. `what` names the upload in the log."""
    target = get_settings().clamd
    if not target:
        return
    try:
        reply = instream(target, data, timeout=get_settings().clamd_timeout_seconds)
    except OSError as exc:
        log.error("virus scan of %s failed: clamd at %s: %s", what, target, exc)
        raise ScannerUnavailable() from None
    if reply.endswith(" FOUND"):
        signature = reply.removeprefix("stream:").removesuffix(" FOUND").strip()
        log.warning("virus scan refused %s: %s", what, signature)
        raise Infected(signature)
    if reply != "stream: OK":
        log.error("virus scan of %s failed: clamd answered %r", what, reply)
        raise ScannerUnavailable()


def instream(target: str, data: bytes, *, timeout: float) -> str:
    """clamd's answer to INSTREAM for `data`, e.g. "stream: OK" or
    "stream: Eicar-Signature FOUND" (the z-form: commands and replies end with NUL)."""
    with _connect(target, timeout) as sock:
        sock.sendall(b"zINSTREAM\0")
        for start in range(0, len(data), CHUNK):
            chunk = data[start:start + CHUNK]
            sock.sendall(struct.pack("!L", len(chunk)) + chunk)
        sock.sendall(struct.pack("!L", 0))
        reply = b""
        while not reply.endswith(b"\0"):
            part = sock.recv(4096)
            if not part:
                break
            reply += part
    return reply.rstrip(b"\0").decode("utf-8", "replace").strip()


def _connect(target: str, timeout: float) -> socket.socket:
    kind, where, port = clamd_target(target)
    if kind == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(where)
        except OSError:
            sock.close()
            raise
        return sock
    return socket.create_connection((where, port), timeout=timeout)
