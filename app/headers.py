"""The security headers every response carries, error pages included."""

from __future__ import annotations

from app.config import get_settings

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Feed URLs carry their secret in the path: never leak it in a Referer.
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# HTTPS only, for a year, once the browser has seen the board over HTTPS (production).
HSTS = "max-age=31536000; includeSubDomains"


def security_headers() -> dict[str, str]:
    """SECURITY_HEADERS, with Strict-Transport-Security in production."""
    if get_settings().environment == "production":
        return {**SECURITY_HEADERS, "Strict-Transport-Security": HSTS}
    return SECURITY_HEADERS
