"""A tiny stand-in for ClamAV's clamd in tests: it speaks the INSTREAM protocol (z-form,
length-prefixed chunks, a zero length at the end) and reports the EICAR test string."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Iterator

# The anti-virus test file every scanner reports (eicar.org), split so that no scanner
# on a developer's machine quarantines this source file.
EICAR = (b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-" + b"ANTIVIRUS-TEST-FILE!$H+H*")


class FakeClamd:
    """Serves INSTREAM on `address` (TCP "host:port", or a unix socket path) in a thread;
    `streams` holds the bytes of every stream scanned."""

    def __init__(self, server: socket.socket, address: str) -> None:
        self.server, self.address = server, address
        self.streams: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return  # closed
            with conn:
                self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        command = b""
        while not command.endswith(b"\0"):
            byte = reader.read(1)
            if not byte:
                return
            command += byte
        if command != b"zINSTREAM\0":
            conn.sendall(b"UNKNOWN COMMAND\0")
            return
        data = b""
        while True:
            (length,) = struct.unpack("!L", reader.read(4))
            if length == 0:
                break
            data += reader.read(length)
        self.streams.append(data)
        reply = b"stream: Eicar-Signature FOUND\0" if EICAR in data else b"stream: OK\0"
        conn.sendall(reply)


@contextlib.contextmanager
def fake_clamd(unix_path: str | None = None) -> Iterator[FakeClamd]:
    """A fake clamd listening on 127.0.0.1 (a free port), or on `unix_path`."""
    if unix_path:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(unix_path)
        address = unix_path
    else:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{server.getsockname()[1]}"
    server.listen(4)
    try:
        yield FakeClamd(server, address)
    finally:
        server.close()
