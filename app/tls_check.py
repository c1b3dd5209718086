"""Is the proxy's certificate one a browser trusts (ASVS 5.0 12.2.2)?

`check` reads the certificate chain (PEM, the board's certificate first, then the
intermediates) and the private key the proxy will serve, and names each reason a browser
would refuse them: the chain does not lead to a CA of the trust store (by default the
system's public CAs), the certificate is not for the board's host name, it has expired or
is not valid yet, the key is not the certificate's, or it is self-signed. It warns when
the certificate expires within `warn_days`. Nothing goes over the network: OpenSSL verifies
the chain and the name in TLS handshakes between two in-memory endpoints (ssl.MemoryBIO),
exactly as a client would; the dates and names are read from the certificate's DER.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.clock import utcnow

WARN_DAYS = 14
SYSTEM_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")
PEM_CERTIFICATE = re.compile(
    rb"-----BEGIN CERTIFICATE-----\s*(.+?)\s*-----END CERTIFICATE-----", re.DOTALL)
COMMON_NAME_OID = b"\x06\x03\x55\x04\x03"  # 2.5.4.3
# OpenSSL's X509_V_ERR_* codes the report explains in words of its own.
NOT_YET_VALID, EXPIRED, SELF_SIGNED, SELF_SIGNED_IN_CHAIN = 9, 10, 18, 19
NO_ISSUER = {2, 20, 21}  # its issuer is not in the chain nor in the trust store
NAME_MISMATCH = {62, 64}  # host name, IP address


class CertificateError(ValueError):
    """A file that is not what the check needs (message names the file)."""


@dataclass
class Leaf:
    """What the check reads from the board's certificate itself."""

    subject: str
    issuer: str
    self_signed: bool
    not_before: datetime
    not_after: datetime


@dataclass
class Report:
    trust_store: str
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    leaf: Leaf | None = None

    @property
    def trusted(self) -> bool:
        return not self.problems


def public_ca_file() -> str | None:
    """The system's bundle of public CAs: OpenSSL's default (SSL_CERT_FILE if set), else
    Debian's or Red Hat's bundle, else certifi's if it is installed."""
    for candidate in (ssl.get_default_verify_paths().cafile, *SYSTEM_BUNDLES):
        if candidate and os.path.isfile(candidate):
            return candidate
    try:
        import certifi
    except ImportError:
        return None
    return str(certifi.where())


def check(chain: Path, key: Path, host: str, *, ca_file: Path | None = None,
          warn_days: int = WARN_DAYS, now: datetime | None = None) -> Report:
    """Every reason the proxy should not serve `chain` and `key` for `host`."""
    store = str(ca_file) if ca_file else public_ca_file()
    report = Report(trust_store=store or "(no public CA bundle on this machine)")
    now = now or utcnow()
    try:
        pem = _read(chain, "certificate chain")
        _read(key, "private key")
        blocks = PEM_CERTIFICATE.findall(pem)
        if not blocks:
            raise CertificateError(f"{chain} holds no PEM certificate (BEGIN CERTIFICATE)")
        leaf_der = _der(blocks[0], chain)
        report.leaf = leaf = read_leaf(leaf_der, chain)
    except CertificateError as error:
        report.problems.append(str(error))
        return report

    if leaf.self_signed:
        report.problems.append(
            f"the certificate is self-signed ({leaf.subject!r} issued it to itself): no "
            "browser trusts it; use one issued by a public CA")
    out_of_dates = leaf.not_after <= now or leaf.not_before > now
    if leaf.not_after <= now:
        report.problems.append(f"the certificate expired on {_day(leaf.not_after)}")
    elif leaf.not_before > now:
        report.problems.append(f"the certificate is not valid until {_day(leaf.not_before)}")
    elif leaf.not_after - now < timedelta(days=warn_days):
        days = (leaf.not_after - now) // timedelta(days=1)
        report.warnings.append(
            f"the certificate expires on {_day(leaf.not_after)}, in {days} day(s): renew it")

    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        server.load_cert_chain(chain, key, password=lambda: b"")
    except ssl.SSLError as error:
        if error.reason == "KEY_VALUES_MISMATCH":
            report.problems.append(f"the private key in {key} is not the certificate's key")
        elif "PEM" in str(error):  # "[SSL] PEM lib": garbage, or a key with a passphrase
            report.problems.append(f"{key} holds no usable private key (PEM, unencrypted:"
                                   " nginx is given no passphrase)")
        else:
            report.problems.append(f"the certificate in {chain} and the key in {key} cannot"
                                   f" be served: {error.reason}")
        return report

    if store is None:
        report.problems.append("no public CA bundle on this machine to check the chain "
                               "against: install ca-certificates or pass --ca-file")
    else:
        _check_chain(report, server, leaf, store, chain, out_of_dates, public=not ca_file)
    _check_name(report, server, blocks[0], host)
    return report


def _check_chain(report: Report, server: ssl.SSLContext, leaf: Leaf, store: str,
                 chain: Path, out_of_dates: bool, *, public: bool) -> None:
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False  # the name is _check_name's
    try:
        client.load_verify_locations(cafile=store)
    except (OSError, ssl.SSLError) as error:
        reason = getattr(error, "strerror", None) or getattr(error, "reason", None) or error
        report.problems.append(f"cannot use the trust store {store}: {reason}")
        return
    try:
        _handshake(server, client, None)
    except ssl.SSLCertVerificationError as error:
        code = error.verify_code
        if code == SELF_SIGNED and leaf.self_signed:
            return  # said above
        if code in (EXPIRED, NOT_YET_VALID):
            if out_of_dates:
                return  # said above
            report.problems.append(f"a certificate of the chain in {chain} (an intermediate"
                                   f" or the root) is out of its dates: {error.verify_message}")
            return
        where = f"the trust store {store}"
        if code == SELF_SIGNED_IN_CHAIN:
            why = "the chain ends in a root that is not in " + where
        elif code in NO_ISSUER:
            why = f"the chain does not lead to a CA in {where} ({error.verify_message})"
        else:
            report.problems.append(f"not trusted: the chain in {chain} is refused:"
                                   f" {error.verify_message}")
            return
        issuer = "a publicly trusted CA" if public else "a CA of that store"
        report.problems.append(
            f"not trusted: {why}; the certificate was issued by {leaf.issuer!r}: not"
            f" {issuer}, or an intermediate is missing from {chain}")
    except ssl.SSLError as error:
        report.problems.append(f"TLS with this certificate and key fails: {error}")


def _check_name(report: Report, server: ssl.SSLContext, leaf_block: bytes, host: str) -> None:
    # The certificate itself is the trust anchor here, so only the name (and the dates,
    # reported above) can fail, whoever issued it.
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.hostname_checks_common_name = False  # browsers read subjectAltName alone
    client.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    client.load_verify_locations(cadata=_pem(leaf_block))
    try:
        _handshake(server, client, host)
    except ssl.SSLCertVerificationError as error:
        if error.verify_code in NAME_MISMATCH:
            report.problems.append(f"the certificate is not for the host name {host!r}"
                                   " (its subjectAltName does not name it)")
    except ssl.SSLError:
        pass  # _check_chain's handshake names it


def _handshake(server: ssl.SSLContext, client: ssl.SSLContext, host: str | None) -> None:
    """A TLS handshake between two in-memory endpoints; the client's error if it refuses."""
    client_in, client_out, server_in, server_out = (ssl.MemoryBIO() for _ in range(4))
    client_end = client.wrap_bio(client_in, client_out, server_hostname=host)
    server_end = server.wrap_bio(server_in, server_out, server_side=True)
    ends = ((client_end, client_out, server_in), (server_end, server_out, client_in))
    for _ in range(8):
        waiting = False
        for end, outgoing, peer in ends:
            try:
                end.do_handshake()
            except ssl.SSLWantReadError:
                waiting = True
            peer.write(outgoing.read())
        if not waiting:
            return
    raise ssl.SSLError("the in-memory handshake did not finish")


def read_leaf(der: bytes, source: Path) -> Leaf:
    """Subject, issuer and dates of a DER certificate (RFC 5280 4.1)."""
    try:
        _, start, end = _element(der, 0)  # Certificate
        fields = _children(der, *_element(der, start)[1:])  # TBSCertificate
        if fields[0][0] == 0xA0:  # [0] version
            fields = fields[1:]
        issuer, validity, subject = fields[2], fields[3], fields[4]
        dates = _children(der, validity[1], validity[2])
        issuer_der, subject_der = der[issuer[1]:issuer[2]], der[subject[1]:subject[2]]
        return Leaf(subject=_common_name(der, subject), issuer=_common_name(der, issuer),
                    self_signed=issuer_der == subject_der,
                    not_before=_time(der, dates[0]), not_after=_time(der, dates[1]))
    except (IndexError, ValueError) as error:
        raise CertificateError(f"{source}: its first certificate cannot be read") from error


def _element(der: bytes, at: int) -> tuple[int, int, int]:
    """(tag, first byte of the contents, end of the contents) of the element at `at`."""
    tag, length = der[at], der[at + 1]
    at += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(der[at:at + count], "big")
        at += count
    if at + length > len(der):
        raise ValueError("truncated DER")
    return tag, at, at + length


def _children(der: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    children = []
    while start < end:
        children.append(_element(der, start))
        start = children[-1][2]
    return children


def _common_name(der: bytes, name: tuple[int, int, int]) -> str:
    """The CN of a Name, or its DER in hex when it has none."""
    body = der[name[1]:name[2]]
    at = body.find(COMMON_NAME_OID)
    if at < 0:
        return body.hex()
    _, start, end = _element(body, at + len(COMMON_NAME_OID))
    return body[start:end].decode("utf-8", "replace")


def _time(der: bytes, element: tuple[int, int, int]) -> datetime:
    tag, start, end = element
    text = der[start:end].decode("ascii")
    if tag == 0x17:  # UTCTime, YYMMDDHHMMSSZ: 50-99 are 19xx
        text = ("19" if int(text[:2]) >= 50 else "20") + text
    elif tag != 0x18:  # GeneralizedTime
        raise ValueError("not a time")
    return datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(tzinfo=UTC)


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise CertificateError(f"cannot read the {what} {path}: {error.strerror}") from error


def _der(block: bytes, source: Path) -> bytes:
    try:
        return base64.b64decode(b"".join(block.split()), validate=True)
    except binascii.Error as error:
        raise CertificateError(f"{source}: its first certificate is not valid PEM") from error


def _pem(block: bytes) -> str:
    return "-----BEGIN CERTIFICATE-----\n" + block.decode("ascii") + \
        "\n-----END CERTIFICATE-----\n"


def _day(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%d %H:%M UTC")
