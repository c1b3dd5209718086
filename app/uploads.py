"""Multipart bodies only from signed-in callers, and only to the routes that take uploads.

Starlette spools a multipart body's files to disk as it parses them, and FastAPI parses
a route's form before it runs any dependency, the access rules among them. So a
multipart request is refused here, before a byte of its body is read, unless it goes to
an upload route with a session cookie; there the route parses the form itself, after
its access rule, and the CSRF check refuses an anonymous one unread (app.deps).
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from app.config import get_settings

# The routes that accept files (their handlers parse the form after the access rule).
UPLOAD_PATHS = frozenset({"/admin/import"})
# Upload routes with an id in the path (a note's attachments).
UPLOAD_PATTERNS = (re.compile(r"^/intel/\d+/attachments$"),)


def is_multipart(content_type: str | None) -> bool:
    return (content_type or "").lower().lstrip().startswith("multipart/")


class MultipartGate:
    """Pure ASGI: refuses without reading the body, so nothing is spooled."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)  # headers and cookies only: the body stays unread
        if not is_multipart(request.headers.get("content-type")):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path not in UPLOAD_PATHS and not any(p.match(path) for p in UPLOAD_PATTERNS):
            refusal = JSONResponse({"detail": "Multipart bodies are accepted only by the "
                                              "upload routes"}, status_code=415)
        elif not request.cookies.get(get_settings().session_cookie_name):
            refusal = JSONResponse({"detail": "Sign in before uploading"}, status_code=401)
        else:
            await self.app(scope, receive, send)
            return
        await refusal(scope, receive, send)
