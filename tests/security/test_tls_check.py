"""`jointops tls-check`: the proxy does not start with a certificate browsers would refuse
(ASVS 5.0 12.2.2).

Every certificate is made for the test by `openssl` (never committed), with dates
relative to the board's clock (`utcnow`, faked or not), by a throwaway CA that no trust
store holds. `openssl ca` takes explicit start and end dates, so an expired certificate
and one about to expire are made the same way as a valid one.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from app import tls_check
from app.cli import app
from app.clock import utcnow
from app.config import ROOT

HOST = "board.jointops.test"
CA_CONFIG = """[ca]
default_ca = test
[test]
database = index.txt
serial = serial.txt
new_certs_dir = .
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[intermediate]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $ENV::LEAF_NAMES
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""

runner = CliRunner()


@dataclass
class Issued:
    certificate: Path
    key: Path
    not_after: datetime | None = None


class ThrowawayCA:
    """A root and an intermediate, as a public CA issues from; the root trusted by no one
    but the tests that say so."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        (directory / "ca.cnf").write_text(CA_CONFIG)
        (directory / "index.txt").write_text("")
        (directory / "serial.txt").write_text("1000\n")
        now = utcnow()
        self.root = self._issue("JointOps Test Root", None, "root",
                                now - timedelta(days=400), now + timedelta(days=3650))
        self.intermediate = self._issue("JointOps Test Issuing CA", self.root, "intermediate",
                                        now - timedelta(days=400), now + timedelta(days=3000))

    def _openssl(self, *args: str, names: str = "") -> None:
        subprocess.run(["openssl", *args], cwd=self.directory, check=True,
                       capture_output=True, env={"LEAF_NAMES": names or "DNS:unused",
                                                 "PATH": "/usr/bin:/bin"})

    def _issue(self, name: str, issuer: Issued | None, profile: str, not_before: datetime,
               not_after: datetime, names: str = "") -> Issued:
        stem = name.replace(" ", "-")
        key, request = self.directory / f"{stem}.key", self.directory / f"{stem}.csr"
        certificate = self.directory / f"{stem}.crt"
        self._openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                      "-out", str(key))
        self._openssl("req", "-new", "-key", str(key), "-subj", f"/CN={name}", "-out",
                      str(request))
        signer = (["-selfsign", "-keyfile", str(key)] if issuer is None else
                  ["-cert", str(issuer.certificate), "-keyfile", str(issuer.key)])
        self._openssl("ca", "-batch", "-config", "ca.cnf", "-notext", *signer,
                      "-extensions", profile, "-in", str(request), "-out", str(certificate),
                      "-startdate", f"{not_before:%Y%m%d%H%M%SZ}",
                      "-enddate", f"{not_after:%Y%m%d%H%M%SZ}", names=names)
        return Issued(certificate, key, not_after)

    def server(self, *, names: str = f"DNS:{HOST}", days: float = 90,
               self_signed: bool = False, started_days_ago: float = 30) -> Issued:
        """A server certificate and its full chain (leaf, intermediate) in one file."""
        now = utcnow()
        stem = f"server-{len(list(self.directory.glob('server-*.pem')))}"
        leaf = self._issue(stem, None if self_signed else self.intermediate, "leaf",
                           now - timedelta(days=started_days_ago), now + timedelta(days=days),
                           names=names)
        chain = self.directory / f"{stem}.pem"
        chain.write_text(leaf.certificate.read_text() +
                         ("" if self_signed else self.intermediate.certificate.read_text()))
        return Issued(chain, leaf.key, leaf.not_after)


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> ThrowawayCA:
    return ThrowawayCA(tmp_path_factory.mktemp("tls-ca"))


def run_check(issued: Issued, *extra: str, host: str = HOST) -> tuple[int, str]:
    result = runner.invoke(app, ["tls-check", "--certificate", str(issued.certificate),
                                 "--key", str(issued.key), "--host", host, *extra],
                           env={"JOINTOPS_TLS_CA_FILE": ""})
    return result.exit_code, result.output


def test_a_chain_from_the_trusted_ca_passes(ca: ThrowawayCA) -> None:
    code, output = run_check(ca.server(), "--ca-file", str(ca.root.certificate))
    assert code == 0, output
    assert f"trusted for {HOST}" in output and "'JointOps Test Issuing CA'" in output
    assert "private trust store" in output and "FAIL" not in output and "WARN" not in output


def test_the_same_chain_is_not_publicly_trusted(ca: ThrowawayCA) -> None:
    if tls_check.public_ca_file() is None:
        pytest.skip("no public CA bundle on this machine (apt-get install ca-certificates)")
    code, output = run_check(ca.server())
    assert code == 1
    [failure] = [line for line in output.splitlines() if line.startswith("FAIL")]
    assert "not trusted: the chain does not lead to a CA in the trust store" in failure
    assert str(tls_check.public_ca_file()) in failure
    assert "issued by 'JointOps Test Issuing CA': not a publicly trusted CA" in failure
    assert "NOT trusted" in output and "(public CAs)" in output


def test_the_ca_file_comes_from_jointops_tls_ca_file(ca: ThrowawayCA) -> None:
    # The compose stack's tls-check service reads a private CA from this setting.
    issued = ca.server()
    result = runner.invoke(app, ["tls-check", "--certificate", str(issued.certificate),
                                 "--key", str(issued.key), "--host", HOST],
                           env={"JOINTOPS_TLS_CA_FILE": str(ca.root.certificate)})
    assert result.exit_code == 0, result.output


def test_a_chain_missing_its_intermediate_is_not_trusted(ca: ThrowawayCA) -> None:
    issued = ca.server()
    leaf_only = issued.certificate.with_suffix(".leaf.pem")
    text = issued.certificate.read_text()
    leaf_only.write_text(text[:text.index("-----END CERTIFICATE-----") + 26])
    code, output = run_check(Issued(leaf_only, issued.key), "--ca-file",
                             str(ca.root.certificate))
    assert code == 1
    assert "not a CA of that store, or an intermediate is missing from" in output


def test_a_self_signed_certificate_fails(ca: ThrowawayCA) -> None:
    issued = ca.server(self_signed=True)
    # Even when told to trust it: a self-signed certificate is never the board's.
    code, output = run_check(issued, "--ca-file", str(issued.certificate))
    assert code == 1
    [failure] = [line for line in output.splitlines() if line.startswith("FAIL")]
    assert failure.startswith("FAIL the certificate is self-signed ('server-")
    assert failure.endswith("issued it to itself): no browser trusts it; use one issued by a"
                            " public CA")
    # Against the public CAs, the same one reason (not also "untrusted").
    code, output = run_check(issued)
    assert code == 1 and output.count("FAIL") == 1 and "self-signed" in output


def test_a_wrong_host_name_fails_naming_the_host(ca: ThrowawayCA) -> None:
    issued = ca.server(names="DNS:other.jointops.test")
    code, output = run_check(issued, "--ca-file", str(ca.root.certificate))
    assert code == 1
    assert f"FAIL the certificate is not for the host name '{HOST}'" in output
    # Matching: a wildcard covers one label; an IP address is matched as one.
    wildcard = ca.server(names="DNS:*.jointops.test,IP:192.0.2.7")
    for host, expected in ((HOST, 0), ("a.board.jointops.test", 1), ("192.0.2.7", 0),
                           ("192.0.2.8", 1)):
        code, output = run_check(wildcard, "--ca-file", str(ca.root.certificate), host=host)
        assert code == expected, (host, output)


def test_the_host_name_defaults_to_that_of_jointops_public_url(ca: ThrowawayCA) -> None:
    issued = ca.server()
    arguments = ["tls-check", "--certificate", str(issued.certificate), "--key",
                 str(issued.key), "--ca-file", str(ca.root.certificate)]
    result = runner.invoke(app, arguments,
                           env={"JOINTOPS_PUBLIC_URL": f"https://{HOST}/board"})
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, arguments, env={"JOINTOPS_PUBLIC_URL": "https://elsewhere.test"})
    assert result.exit_code == 1 and "not for the host name 'elsewhere.test'" in result.output
    result = runner.invoke(app, arguments, env={"JOINTOPS_PUBLIC_URL": ""})
    assert result.exit_code == 1 and "FAIL no host name" in result.output


def test_an_expired_certificate_fails(ca: ThrowawayCA) -> None:
    issued = ca.server(days=-2, started_days_ago=92)
    code, output = run_check(issued, "--ca-file", str(ca.root.certificate))
    assert code == 1
    assert issued.not_after is not None
    failures = [line for line in output.splitlines() if line.startswith("FAIL")]
    assert failures == [f"FAIL the certificate expired on {issued.not_after:%Y-%m-%d %H:%M} UTC"]
    # Not valid yet fails too.
    future = ca.server(started_days_ago=-3)
    code, output = run_check(future, "--ca-file", str(ca.root.certificate))
    assert code == 1 and "FAIL the certificate is not valid until" in output


def test_a_certificate_expiring_in_5_days_passes_with_a_warning(ca: ThrowawayCA) -> None:
    issued = ca.server(days=5.5)
    code, output = run_check(issued, "--ca-file", str(ca.root.certificate))
    assert code == 0, output
    [warning] = [line for line in output.splitlines() if line.startswith("WARN")]
    assert "in 5 day(s): renew it" in warning
    # The margin is the operator's: 3 days says nothing at 5.
    code, output = run_check(issued, "--ca-file", str(ca.root.certificate), "--warn-days", "3")
    assert code == 0 and "WARN" not in output


def test_a_key_that_is_not_the_certificates_fails(ca: ThrowawayCA) -> None:
    issued, other = ca.server(), ca.server()
    code, output = run_check(Issued(issued.certificate, other.key), "--ca-file",
                             str(ca.root.certificate))
    assert code == 1
    assert f"FAIL the private key in {other.key} is not the certificate's key" in output


def test_missing_unreadable_and_garbage_files_are_named(ca: ThrowawayCA, tmp_path: Path) -> None:
    issued = ca.server()
    missing = tmp_path / "nowhere.pem"
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("this is not a certificate\n")
    bad_base64 = tmp_path / "bad.pem"
    bad_base64.write_text("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n")
    not_a_certificate = tmp_path / "short.pem"
    not_a_certificate.write_text("-----BEGIN CERTIFICATE-----\nMAMCAQE=\n"
                                 "-----END CERTIFICATE-----\n")
    encrypted = tmp_path / "encrypted.key"
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-aes256", "-pass", "pass:secret", "-out",
                    str(encrypted)], check=True, capture_output=True)
    root = str(ca.root.certificate)
    cases = [
        (Issued(missing, issued.key), (), f"cannot read the certificate chain {missing}: "
                                          "No such file or directory"),
        (Issued(issued.certificate, missing), (), f"cannot read the private key {missing}"),
        (Issued(tmp_path, issued.key), (), f"cannot read the certificate chain {tmp_path}"),
        (Issued(garbage, issued.key), (), f"{garbage} holds no PEM certificate"),
        (Issued(bad_base64, issued.key), (), f"{bad_base64}: its first certificate is not"
                                             " valid PEM"),
        (Issued(not_a_certificate, issued.key), (), f"{not_a_certificate}: its first "
                                                    "certificate cannot be read"),
        (Issued(issued.certificate, garbage), (), f"{garbage} holds no usable private key"),
        (Issued(issued.certificate, encrypted), (), f"{encrypted} holds no usable private key"
                                                    " (PEM, unencrypted"),
        (issued, ("--ca-file", str(missing)), f"cannot use the trust store {missing}"),
        (issued, ("--ca-file", str(garbage)), f"cannot use the trust store {garbage}"),
    ]
    for files, extra, message in cases:
        code, output = run_check(files, *(extra or ("--ca-file", root)))
        assert code == 1, (message, output)
        assert f"FAIL {message}" in output, (message, output)
        assert "Traceback" not in output


def test_the_check_needs_no_network(ca: ThrowawayCA, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("tls-check opened a socket")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    report = tls_check.check(ca.server().certificate, ca.server().key, HOST,
                             ca_file=ca.root.certificate)
    assert report.problems  # the key of another certificate, found without a socket
    issued = ca.server()
    assert tls_check.check(issued.certificate, issued.key, HOST,
                           ca_file=ca.root.certificate).trusted


def test_the_public_bundle_is_found_without_openssls_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import ssl

    certifi = pytest.importorskip("certifi")
    nothing = ssl.DefaultVerifyPaths(None, None, "", "", "", "")
    monkeypatch.setattr(tls_check.ssl, "get_default_verify_paths", lambda: nothing)
    bundle = tmp_path / "ca-certificates.crt"
    bundle.write_text("")
    monkeypatch.setattr(tls_check, "SYSTEM_BUNDLES", ("/nowhere/ca.crt", str(bundle)))
    assert tls_check.public_ca_file() == str(bundle)
    monkeypatch.setattr(tls_check, "SYSTEM_BUNDLES", ())
    assert tls_check.public_ca_file() == certifi.where()


def test_the_proxy_starts_only_after_the_check_passes() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    check, proxy = services["tls-check"], services["proxy"]
    assert proxy["depends_on"]["tls-check"] == {"condition": "service_completed_successfully"}
    # The board's image and CLI, the secrets the proxy serves, nothing else of the board's.
    assert check["image"] == services["web"]["image"] and check["restart"] == "no"
    command = check["command"]
    assert command[0] == "tls-check"
    assert command[command.index("--certificate") + 1] == "/run/secrets/tls_certificate"
    assert command[command.index("--key") + 1] == "/run/secrets/tls_key"
    assert set(check["secrets"]) == {"tls_certificate", "tls_key"}
    # No network to reach: the verdict is the files' alone.
    assert check["network_mode"] == "none"
    # The host name and a private CA come from .env, visibly; unset, the public CAs.
    environment = check["environment"]
    assert environment["JOINTOPS_PUBLIC_URL"] == "${JOINTOPS_PUBLIC_URL:-}"
    assert environment["JOINTOPS_TLS_CA_FILE"] == "${JOINTOPS_TLS_CA_FILE:-}"
    assert "./secrets/tls-ca:/run/tls-ca:ro" in check["volumes"]
    # Root to read a 0600 key, with no other power.
    assert check["cap_drop"] == ["ALL"] and check["cap_add"] == ["DAC_READ_SEARCH"]
    assert check["read_only"] is True
