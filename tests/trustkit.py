"""
The system trust store in tests: made of test roots, or made absent.

``--trust system`` reads what Python's ssl would (``$SSL_CERT_FILE``,
``$SSL_CERT_DIR``, the places OpenSSL was built with, the usual bundles);
these helpers point all of it at the test's own files.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from pki import Issued

from certchain import trust


def as_system_store(monkeypatch: pytest.MonkeyPatch, folder: Path, *roots: Issued) -> Path:
    """Make *roots* the system store: $SSL_CERT_FILE names their bundle, $SSL_CERT_DIR is empty."""
    bundle = folder / "os-bundle.pem"
    bundle.write_bytes(b"".join(r.pem for r in roots))
    empty = folder / "os-certs"
    empty.mkdir()
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.setenv("SSL_CERT_DIR", str(empty))
    return bundle


@pytest.fixture
def no_system_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine with no system store: no variables, no built-in places, no usual bundle."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    # cafile and capath None: what Python's ssl says when neither exists.
    nowhere = ssl.DefaultVerifyPaths(
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        "SSL_CERT_FILE", str(tmp_path / "none.pem"), "SSL_CERT_DIR", str(tmp_path / "none"),
    )
    monkeypatch.setattr(ssl, "get_default_verify_paths", lambda: nowhere)
    monkeypatch.setattr(trust, "SYSTEM_BUNDLES", (tmp_path / "ca-certificates.crt",))
