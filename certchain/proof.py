"""
The second proof: load a chain and key as a server does, and shake hands in memory.

certchain's own rules say why a chain is good or bad.  Afterwards the real
TLS stack, Python's ``ssl`` (OpenSSL), is asked the same question: a server
context (``PROTOCOL_TLS_SERVER``, at Python's default security level) loads
the chain and key with ``load_cert_chain``, and a client context that trusts
only the chain's trust anchor completes a handshake with it over memory BIOs
(no socket), checking a name the leaf covers.  When the stack refuses, that
is a ``server-refuses`` finding that quotes OpenSSL's reason, says what
certchain's own rules found and names the fix.

An I/O edge: ``load_cert_chain`` reads only named files, so bytes reach it
through an anonymous in-memory file (Linux ``memfd_create``), else through a
file of mode 0600 in a private temporary folder, removed at once.  The
client does not check validity in time (OpenSSL's
``X509_V_FLAG_NO_CHECK_TIME``): certchain's rules judge time at the policy's
instant, and the proof must not depend on today's clock.
"""

from __future__ import annotations

import contextlib
import os
import re
import ssl
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from .findings import Code, Finding, Remedy, Severity, by_severity, subject_text
from .memo import by_identity
from .model import Format, LoadedKey, PrivateKey
from .names import covers_hostname, dns_names, ip_addresses
from .policy import Policy
from .results import BuildResult, Report
from .write import chain_pem, combined_pem

# A handshake over memory BIOs finishes within four exchanges of the two
# ends (TLS 1.2 and 1.3 alike); one that has not after this many is stuck.
HANDSHAKE_ROUNDS = 16

# X509_V_FLAG_NO_CHECK_TIME (OpenSSL 1.1.0 and later, include/openssl/x509_vfy.h),
# which Python's ssl.VerifyFlags does not name.
_NO_CHECK_TIME = 0x200000

# Anonymous memory files where the platform has them (Linux): the key is
# never written to a disk.
_MEMFD = hasattr(os, "memfd_create") and os.path.isdir("/proc/self/fd")

_OPENSSL = " ".join(ssl.OPENSSL_VERSION.split()[:2])  # "OpenSSL 3.0.19"

R = TypeVar("R", BuildResult, Report)  # a result that holds findings


@dataclass(frozen=True, slots=True)
class Refusal:
    """What the stack refused, in OpenSSL's words."""

    step: str  # "load" (the server reading the files) or "handshake"
    reason: str  # OpenSSL's reason code (CA_MD_TOO_WEAK), "" when it gives none
    text: str  # OpenSSL's own words ("ca md too weak", "PEM lib")
    side: str = "server"  # who refused: "server" or "client"
    culprit: str | None = None  # a load refusal: "certificates" or "key", when known


@dataclass(frozen=True, slots=True)
class Proof:
    """One attempt at loading and shaking hands, at one security level."""

    security_level: int
    hostname: str | None  # the name the client checked; None: no name checked
    refusal: Refusal | None = None

    @property
    def ok(self) -> bool:
        """True when the server loaded the files and the handshake completed."""
        return self.refusal is None


def prove_pem(
    chain: bytes,
    key: PrivateKey | bytes | None,
    *,
    anchor: x509.Certificate | None,
    hostname: str | None = None,
    security_level: int | None = None,
) -> Proof:
    """
    Load *chain* (PEM, leaf first) and *key* as a server, then shake hands with it.

    Args:
        chain: what the server's certificate file holds.
        key: the private key (an object or PEM bytes); None when *chain*
            holds it too (a combined file).
        anchor: the only certificate the client trusts; None: the client
            does not verify the chain (only the server side is proven).
        hostname: the name the client checks; None: no name is checked.
        security_level: OpenSSL's security level for both sides; None:
            Python's default.
    """
    key_data = _key_pem(key) if key is not None else None
    with _as_file(chain, "chain") as chain_file, _maybe_file(key_data, "key") as key_file:
        return _prove(chain_file, key_file, anchor, hostname, security_level)


def prove_files(
    chain: Path,
    key: Path | None,
    *,
    anchor: x509.Certificate | None,
    hostname: str | None = None,
    security_level: int | None = None,
    key_object: PrivateKey | None = None,
) -> Proof:
    """
    Load the files *chain* and *key* as a server does, then shake hands with it.

    As :func:`prove_pem`, on the files a server is configured with.  When
    OpenSSL cannot read them ("PEM lib"), *key_object* (the key as certchain
    read it) tells which file is at fault: the certificates are loaded again
    with it.
    """
    key_file = str(key) if key is not None else None
    proof = _prove(str(chain), key_file, anchor, hostname, security_level)
    refusal = proof.refusal
    if refusal is None or refusal.step != "load" or refusal.reason or key_object is None:
        return proof
    with _as_file(_key_pem(key_object), "key") as key_file:
        again = _prove(str(chain), key_file, anchor, hostname, security_level)
    culprit = "key" if again.ok or again.refusal != refusal else "certificates"
    return replace(proof, refusal=replace(refusal, culprit=culprit))


def proof_name(leaf: x509.Certificate, wanted: str | None = None) -> str | None:
    """
    Return the name the client checks: *wanted* if the leaf covers it, else one it covers.

    A DNS name without a wildcard first, then a name a ``*.`` wildcard
    covers, then an IP address; None when the leaf covers no name.
    """
    if wanted and covers_hostname(leaf, wanted):
        return wanted
    names = dns_names(leaf)
    for name in names:
        if "*" not in name and covers_hostname(leaf, name):
            return name
    for name in names:
        concrete = "certchain-proof" + name[1:] if name.startswith("*.") else ""
        if concrete and covers_hostname(leaf, concrete):
            return concrete
    addresses = ip_addresses(leaf)
    return str(addresses[0]) if addresses else None


@dataclass(frozen=True, slots=True)
class Target:
    """How the messages name what is loaded: the certificate file and the key."""

    certificates: str  # "the chain", "/srv/tls/hub-chained.crt"
    key: str  # "its key", "/srv/tls/hub.key"

    def __str__(self) -> str:
        return f"{self.certificates} and {self.key}"


def prove_chain(
    chain: bytes,
    key: PrivateKey | bytes | None,
    *,
    anchor: x509.Certificate | None,
    policy: Policy,
    found: Sequence[Finding] = (),
    target: Target = Target("the chain", "its key"),
) -> Finding | None:
    """
    Prove *chain* (PEM, leaf first) and *key* with the real stack; return a finding, or None.

    The client checks *policy*'s hostname when the leaf covers it, else a
    name the leaf covers (:func:`proof_name`).  *found* are certchain's own
    findings about the chain, which the message relates to the refusal.
    See :func:`check` for the security level and ``policy.allow_weak``.
    """
    leaf = x509.load_pem_x509_certificates(chain)[0]
    hostname = proof_name(leaf, policy.hostname)

    def attempt(level: int | None) -> Proof:
        return prove_pem(chain, key, anchor=anchor, hostname=hostname, security_level=level)

    return check(attempt, target, anchor, policy, found)


def prove_build(result: BuildResult, policy: Policy, *, combined: bool = False) -> BuildResult:
    """
    Prove what ``build`` is about to write, before anything is written.

    The chained file's bytes with the key, then, with *combined*, the
    combined file's bytes (chain and key in one).  Without a key nothing is
    proven: a server cannot load a chain without one (``no-key`` says so).
    Returns *result* with a ``server-refuses`` finding when the stack refuses.
    """
    if result.key is None or not result.chain:
        return result
    anchor = result.chain[-1] if result.complete else None
    key = result.key.key
    finding = prove_chain(
        chain_pem(result.output_chain), key, anchor=anchor, policy=policy,
        found=result.findings, target=Target("the chain", "its key"),
    )
    if finding is None and combined:
        finding = prove_chain(
            combined_pem(result.output_chain, key), None, anchor=anchor, policy=policy,
            found=result.findings, target=Target("the combined file", "the key in it"),
        )
    return with_finding(result, finding)


def prove_served(report: Report, policy: Policy, chain: Path, key: Path | None) -> Report:
    """
    Prove the files a server is configured with: *chain*, and *key* (or the key in memory).

    *key* None: the key certchain matched to the leaf (``report.key``) is
    handed over in memory, because the file it came from is not one a
    server reads as it is; with no key either, nothing is proven.
    """
    if not report.chain or (key is None and report.key is None):
        return report
    path = report.path or report.chain
    anchor = path[-1] if report.complete else None
    hostname = proof_name(path[0], policy.hostname)
    matched = report.key.key if report.key is not None else None

    def attempt(level: int | None) -> Proof:
        if key is None:
            assert matched is not None
            with _as_file(_key_pem(matched), "key") as key_file:
                return _prove(str(chain), key_file, anchor, hostname, level)
        return prove_files(chain, key, anchor=anchor, hostname=hostname,
                           security_level=level, key_object=matched)

    target = Target(str(chain), str(key) if key is not None else "its key")
    return with_finding(report, check(attempt, target, anchor, policy, report.findings))


def server_key_file(key: LoadedKey | None) -> Path | None:
    """Return *key*'s file when a server can read it as it is (PEM, unencrypted), else None."""
    if key is None or key.source.path is None:
        return None
    if key.source.format is not Format.PEM or key.encrypted:
        return None
    return key.source.path.absolute()


def with_finding(result: R, finding: Finding | None) -> R:
    """Return *result* with *finding* among its findings (errors first)."""
    if finding is None:
        return result
    return result._replace(findings=by_severity([*result.findings, finding]))


def check(
    attempt: Callable[[int | None], Proof], target: Target, anchor: x509.Certificate | None,
    policy: Policy, found: Sequence[Finding],
) -> Finding | None:
    """
    Run *attempt* at the default security level; return the finding it calls for, or None.

    A refusal is an error.  With legacy algorithms allowed
    (``policy.allow_weak``) a refusal for a legacy algorithm (a weak digest
    or a small key) is tried again at level 0 (``@SECLEVEL=0``, where OpenSSL
    accepts SHA-1, MD5 and small keys): when that passes, the finding is a
    warning that only a server configured that low accepts the chain; when it
    does not, an error.
    """
    proof = attempt(None)
    if proof.refusal is None:
        return None
    if not (policy.allow_weak and _cause(proof.refusal).weak):
        return _refused(proof, proof.refusal, target, anchor, found, allowed=policy.allow_weak)
    relaxed = attempt(0)
    if relaxed.refusal is None:
        return _allowed(proof, proof.refusal, target, anchor, found)
    return _refused(relaxed, relaxed.refusal, target, anchor, found, allowed=True)


# ------------------------------------------------------------------ the attempt


def _prove(
    chain: str, key: str | None, anchor: x509.Certificate | None, hostname: str | None,
    level: int | None,
) -> Proof:
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _set_level(server, level)
    name = hostname if anchor is not None else None
    try:
        # A password callback that gives nothing: an encrypted key fails as
        # it does for a server that cannot ask, instead of OpenSSL prompting.
        server.load_cert_chain(chain, key, password=lambda: b"")
    except (ssl.SSLError, OSError) as exc:
        return Proof(server.security_level, name, _refusal("load", exc, "server"))
    return Proof(server.security_level, name, _handshake(server, anchor, name, level))


def _set_level(context: ssl.SSLContext, level: int | None) -> None:
    if level is not None:
        context.set_ciphers(f"DEFAULT:@SECLEVEL={level}")


def _handshake(
    server: ssl.SSLContext, anchor: x509.Certificate | None, hostname: str | None,
    level: int | None,
) -> Refusal | None:
    client = _client(anchor, level, hostname is not None)
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    ends = {
        "client": client.wrap_bio(to_client, to_server, server_hostname=hostname),
        "server": server.wrap_bio(to_server, to_client, server_side=True),
    }
    done: set[str] = set()
    for _ in range(HANDSHAKE_ROUNDS):
        for side, end in ends.items():
            if side in done:
                continue
            try:
                end.do_handshake()
            except ssl.SSLWantReadError:
                continue
            except (ssl.SSLError, OSError) as exc:
                return _refusal("handshake", exc, side)
            done.add(side)
        if len(done) == len(ends):
            return None
    return Refusal(
        "handshake", "", f"the handshake did not finish within {HANDSHAKE_ROUNDS} exchanges"
    )


@by_identity(64)
def _client(anchor: x509.Certificate | None, level: int | None, named: bool) -> ssl.SSLContext:
    """
    The client's side of a proof: trusting *anchor* alone (None: trusting anything).

    Made once per anchor and shared by the handshakes that trust it (a host's
    sites are proven against the same few anchors): a context costs about
    0.3 ms to make and load, and only the handshake's own state is per site.
    """
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    _set_level(client, level)
    if anchor is None:
        client.check_hostname = False
        client.verify_mode = ssl.CERT_NONE
    else:
        client.load_verify_locations(cadata=anchor.public_bytes(Encoding.PEM).decode("ascii"))
        # The anchor may be an intermediate given as a trust anchor (--trust).
        client.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN | _NO_CHECK_TIME
        client.check_hostname = named
    return client


def _refusal(step: str, exc: ssl.SSLError | OSError, side: str) -> Refusal:
    if isinstance(exc, ssl.SSLCertVerificationError):
        words = exc.verify_message or _words(exc)
        return Refusal(step, exc.reason or "CERTIFICATE_VERIFY_FAILED", words, side)
    if isinstance(exc, ssl.SSLError):
        return Refusal(step, exc.reason or "", _words(exc), side)
    return Refusal(step, "", exc.strerror or str(exc), side)


_OPENSSL_WORDS = re.compile(r"^(?:\[[^\]]*\]\s*)?(?P<words>.*?)(?:\s*\(_ssl\.c:\d+\))?$")


def _words(exc: ssl.SSLError) -> str:
    """``[SSL: CA_MD_TOO_WEAK] ca md too weak (_ssl.c:3905)`` -> ``ca md too weak``."""
    text = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
    match = _OPENSSL_WORDS.match(text.strip())
    return (match.group("words") if match else text) or text


def _key_pem(key: PrivateKey | bytes) -> bytes:
    if isinstance(key, bytes):
        return key
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


@contextlib.contextmanager
def _maybe_file(data: bytes | None, name: str) -> Iterator[str | None]:
    if data is None:
        yield None
        return
    with _as_file(data, name) as path:
        yield path


@contextlib.contextmanager
def _as_file(data: bytes, name: str) -> Iterator[str]:
    """Hand *data* to OpenSSL under a file name, and leave nothing behind."""
    if _MEMFD:
        fd = os.memfd_create(f"certchain-{name}", os.MFD_CLOEXEC)
        try:
            rest = memoryview(data)
            while rest:  # os.write may write less than asked
                rest = rest[os.write(fd, rest):]
            yield f"/proc/self/fd/{fd}"
        finally:
            os.close(fd)
        return
    with tempfile.TemporaryDirectory(prefix="certchain-proof-") as folder:  # mode 0700
        path = os.path.join(folder, f"{name}.pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        yield path


# ------------------------------------------------------------------ findings


@dataclass(frozen=True, slots=True)
class _Cause:
    """What a refusal means: the codes of certchain's rules that say why, and the fix."""

    codes: frozenset[Code]
    fix: str
    weak: bool = False  # a legacy algorithm: --allow-weak is a way out
    # Where the refusal has several causes, the fix of each, by the code that
    # finds it: only the fixes of what certchain's rules found are given.
    fixes: tuple[tuple[Code, str], ...] = ()

    def fix_for(self, found: Sequence[Finding]) -> str:
        """The fix, narrowed to the causes among *found* when they tell which apply."""
        codes = {f.code for f in found}
        named = [fix for code, fix in self.fixes if code in codes]
        return ", and ".join(named) if named else self.fix


_WEAK_SIGNATURE = _Cause(
    frozenset({Code.WEAK_SIGNATURE}),
    "ask the issuer for certificates signed with SHA-256", weak=True,
)
_WEAK_LEAF_KEY = _Cause(
    frozenset({Code.WEAK_KEY}),
    "make a new key (RSA of 2048 bits or more, or ECDSA P-256) and have it certified", weak=True,
)
_WEAK_CA_KEY = _Cause(
    frozenset({Code.WEAK_KEY}),
    "ask the issuer for a chain whose CA keys have 2048 bits or more", weak=True,
)
_PURPOSE = _Cause(
    frozenset({Code.EXTENDED_KEY_USAGE, Code.KEY_USAGE}),
    "ask your certificate authority for a TLS server certificate",
)
# Keyed by OpenSSL's reason code, or by the words of a verification error.
_CAUSES: dict[str, _Cause] = {
    "CA_MD_TOO_WEAK": _WEAK_SIGNATURE,
    "CA signature digest algorithm too weak": _WEAK_SIGNATURE,
    "EE_KEY_TOO_SMALL": _WEAK_LEAF_KEY,
    "EE certificate key too weak": _WEAK_LEAF_KEY,
    "CA_KEY_TOO_SMALL": _WEAK_CA_KEY,
    "CA certificate key too weak": _WEAK_CA_KEY,
    "NO_SHARED_CIPHER": _Cause(
        frozenset({Code.WEAK_KEY}),
        "no TLS version and cipher suite can use the leaf's key (a DSA key cannot): make "
        "an ECDSA P-256 or RSA key and have it certified",
    ),
    # OpenSSL takes the first certificate of the file as the leaf.
    "KEY_VALUES_MISMATCH": _Cause(
        frozenset({Code.KEY_MISMATCH, Code.WRONG_ORDER}),
        "put the leaf first in the certificate file, and give the leaf's own private key",
        fixes=((Code.WRONG_ORDER, "put the leaf first in the certificate file"),
               (Code.KEY_MISMATCH, "give the leaf's own private key")),
    ),
    "unsupported certificate purpose": _PURPOSE,
    "unable to get local issuer certificate": _Cause(
        frozenset({Code.MISSING_ISSUER, Code.UNTRUSTED_ROOT}),
        "put the intermediates in the chained file, leaf first",
    ),
}
_PEM_CERTIFICATES = _Cause(
    frozenset(),
    "a server reads PEM certificates, leaf first (certchain build writes such a file)",
)
_PEM_KEY = _Cause(
    frozenset({Code.KEY_ENCRYPTED}),
    "a server reads an unencrypted PEM key: write one with openssl pkey -in KEY -out "
    "host.key (mode 600) and use that",
)
_UNKNOWN = _Cause(frozenset(), "fix what OpenSSL names")


def _cause(refusal: Refusal) -> _Cause:
    if refusal.text.startswith("Hostname mismatch") or refusal.text.startswith("IP address"):
        return _Cause(frozenset({Code.HOSTNAME_MISMATCH}), "use a certificate for that name")
    if refusal.culprit == "certificates":
        return _PEM_CERTIFICATES
    if refusal.culprit == "key":
        return _PEM_KEY
    return _CAUSES.get(refusal.reason) or _CAUSES.get(refusal.text) or _UNKNOWN


def _quoted(refusal: Refusal) -> str:
    if refusal.reason:
        return f'{refusal.reason} ("{refusal.text}")'
    return f'"{refusal.text}"'


def _what_failed(
    proof: Proof, refusal: Refusal, target: Target, anchor: x509.Certificate | None
) -> str:
    stack = f"Python's ssl ({_OPENSSL}, security level {proof.security_level})"
    if refusal.step == "load":
        if refusal.culprit == "key":
            return f"{stack} cannot read {target.key} as a server's key file"
        if refusal.culprit == "certificates":
            return f"{stack} cannot read {target.certificates} as a server's certificate file"
        return f"{stack} refuses to load {target} as a server does"
    if refusal.side == "client" and anchor is not None:
        name = f" for {proof.hostname}" if proof.hostname else ""
        return (
            f"{stack} loads {target}, but a client that trusts only {subject_text(anchor)} "
            f"refuses the handshake{name}"
        )
    return f"{stack} loads {target}, but the {refusal.side} side fails the handshake"


def _rules_say(cause: _Cause, found: Sequence[Finding]) -> str:
    """What certchain's own rules found, told against what the stack refused."""
    own = [f for f in found if f.code is not Code.SERVER_REFUSES]
    why = sorted({f.code.value for f in own if f.code in cause.codes})
    if why:
        return f"certchain's own rules say why ({', '.join(why)})"
    errors = sorted({f.code.value for f in own if f.severity is Severity.ERROR})
    if errors:
        return f"certchain's own rules found {', '.join(errors)}"
    return (
        "certchain's own rules found no error here, so they missed this refusal "
        "(please report it to certchain)"
    )


def _refused(
    proof: Proof, refusal: Refusal, target: Target, anchor: x509.Certificate | None,
    found: Sequence[Finding], *, allowed: bool,
) -> Finding:
    cause = _cause(refusal)
    fix = cause.fix_for(found)
    remedy = None
    if cause.weak and not allowed:
        fix += "; only for a legacy system that still accepts it, allow legacy algorithms"
        remedy = Remedy.ALLOW_WEAK
    return Finding(
        Code.SERVER_REFUSES, Severity.ERROR,
        f"{_what_failed(proof, refusal, target, anchor)}: {_quoted(refusal)}; "
        f"{_rules_say(cause, found)}: {fix}.", None, remedy,
    )


def _allowed(
    proof: Proof, refusal: Refusal, target: Target, anchor: x509.Certificate | None,
    found: Sequence[Finding],
) -> Finding:
    cause = _cause(refusal)
    return Finding(
        Code.SERVER_REFUSES, Severity.WARNING,
        f"{_what_failed(proof, refusal, target, anchor)}: {_quoted(refusal)}, and "
        f"{_rules_say(cause, found)}; with legacy algorithms allowed, certchain proved it "
        "at security level 0 instead, so only a server configured that low (@SECLEVEL=0 "
        f"in its cipher string) accepts it: {cause.fix_for(found)}.",
    )
