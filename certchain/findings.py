"""
Findings: what is wrong or notable about a chain, as data.

A finding never stops a run; a command collects all of them and decides the
exit code from their severities (any ERROR: exit 1).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import NamedTuple

from cryptography import x509

from .memo import by_identity

#: More findings of one kind (code and severity) than this would fill a
#: screen: a text report shows the first :data:`SAME_KIND_SHOWN` and one line
#: that counts the rest, and where one cause gives many (certificates ``build``
#: leaves out), the judgement makes one finding that counts them.
SAME_KIND_LIMIT = 10
SAME_KIND_SHOWN = 3


class Severity(enum.Enum):
    """How much a finding matters."""

    ERROR = "error"  # clients will reject the chain (or it is not the user's)
    WARNING = "warning"  # works today, may break, or deserves a look
    INFO = "info"  # noteworthy only


class Code(enum.Enum):
    """Stable identifiers; the values appear in JSON output and never change."""

    # verify: the file does not stand leaf first, each followed by its issuer.
    WRONG_ORDER = "wrong-order"
    # verify: a certificate in the file belongs to no path from the leaf.
    EXTRA_CERT = "extra-cert"
    # verify: an expired cross-signed copy of a path CA is served.
    EXPIRED_CROSS_SIGN = "expired-cross-sign"
    # verify: an issuer on the path expires before a certificate it issued.
    ISSUER_EXPIRES_FIRST = "issuer-expires-first"
    # No issuer for a certificate among the inputs or the trust anchors.
    MISSING_ISSUER = "missing-issuer"
    # A signature does not verify with the issuer's public key.
    BAD_SIGNATURE = "bad-signature"
    # An issuing certificate lacks basicConstraints cA=TRUE or keyCertSign.
    NOT_A_CA = "not-a-ca"
    # An issuer's pathLenConstraint allows fewer CAs below it than the path has.
    PATH_LENGTH = "path-length"
    # The path grows past the depth limit (10 certificates) without an anchor.
    CHAIN_TOO_LONG = "chain-too-long"
    # A name in a certificate is outside an issuer's name constraints.
    NAME_CONSTRAINTS = "name-constraints"
    # A certificate's extended key usage does not allow TLS server use.
    EXTENDED_KEY_USAGE = "ext-key-usage"
    # The leaf's keyUsage allows no TLS key exchange or signature.
    KEY_USAGE = "key-usage"
    # A certificate has a critical extension that OpenSSL does not process.
    UNKNOWN_CRITICAL_EXTENSION = "unknown-critical-extension"
    # A certificate's extensions cannot be parsed (duplicate, malformed).
    MALFORMED_EXTENSION = "malformed-extension"
    # A certificate's notAfter is before the validation time.
    EXPIRED = "expired"
    # A certificate's notBefore is after the validation time.
    NOT_YET_VALID = "not-yet-valid"
    # The private key does not belong to the leaf.
    KEY_MISMATCH = "key-mismatch"
    # The requested hostname is not among the leaf's subject alternative names.
    HOSTNAME_MISMATCH = "hostname-mismatch"
    # The path ends at a root outside the trust store (an error with --trust).
    UNTRUSTED_ROOT = "untrusted-root"
    # A certificate expires within the warning window (default 30 days).
    EXPIRES_SOON = "expires-soon"
    # cryptography's strict web-PKI verifier rejects the chain.
    STRICT_POLICY = "strict-policy"
    # A certificate below the root is signed with SHA-1 or MD5.
    WEAK_SIGNATURE = "weak-signature"
    # A certificate carries an RSA key under 2048 bits or an EC key under 256.
    WEAK_KEY = "weak-key"
    # The same certificate was given more than once; the copies were merged.
    DUPLICATE_CERT = "duplicate-cert"
    # An input certificate is not part of the chosen chain.
    UNUSED_CERT = "unused-cert"
    # The chained file ends with the self-signed root.
    ROOT_INCLUDED = "root-included"
    # No private key was found, so the key could not be checked.
    NO_KEY = "no-key"
    # doctor: c.JupyterHub.ssl_cert / ssl_key are not both set.
    SSL_NOT_SET = "ssl-not-set"
    # doctor: a configuration value is an expression certchain cannot evaluate.
    UNEVALUATED_CONFIG = "unevaluated-config"
    # doctor: a file the configuration names does not exist.
    FILE_NOT_FOUND = "file-not-found"
    # doctor: a file the configuration names cannot be read or parsed.
    FILE_UNREADABLE = "file-unreadable"
    # doctor, config: the private key is encrypted; a server cannot ask for its password.
    KEY_ENCRYPTED = "key-encrypted"
    # doctor: the private key file is readable by group or others.
    KEY_PERMISSIONS = "key-permissions"
    # doctor: c.JupyterHub.ip = '*', which the proxy may fail to bind.
    IP_WILDCARD = "ip-wildcard"
    # doctor: the hub listens on loopback while the spawner runs servers elsewhere.
    HUB_IP_UNREACHABLE = "hub-ip-unreachable"
    # A check was given up at its limit (name constraints: too many name
    # checks for one path), so the chain cannot be judged and is refused.
    LIMIT_REACHED = "limit-reached"
    # config, doctor: a file the server would be configured with is in a form
    # it cannot load (PKCS#7, PKCS#12, DER, or certificates with the key in
    # them where the server takes two files); the message gives the command
    # that converts it.
    UNREADABLE_BY_SERVER = "unreadable-by-server"
    # The file (or host file) holds no host certificate: its leaf is a CA
    # certificate that cannot serve TLS (replacing that key-usage error), or
    # an intermediate that names no host.
    NO_LEAF = "no-leaf"
    # Python's ssl (OpenSSL), loading the chain and key as a server does or in
    # a handshake with a client that trusts only the chain's root, refuses it.
    SERVER_REFUSES = "server-refuses"
    # --fetch-missing: an issuer was downloaded from a caIssuers URL (or the
    # cache), its signature on the certificate that named the URL checked.
    FETCHED_ISSUER = "fetched-issuer"
    # --fetch-missing: a caIssuers URL gave no issuer (timeout, too big, an
    # HTTP error, no certificate, the wrong one, a refused redirect, the
    # run's download limit).
    FETCH_FAILED = "fetch-failed"
    # connect --compare: the live server does not serve the chain of the local
    # file (another leaf, an intermediate missing or extra, another order).
    SERVED_DIFFERS = "served-differs"
    # doctor: the configuration uses a directive its server deprecates (Apache
    # httpd's SSLCertificateChainFile, since 2.4.8).
    DEPRECATED_DIRECTIVE = "deprecated-directive"


class Remedy(enum.Enum):
    """
    A fix that a front end may spell with its own words (a CLI flag).

    The message already states the fix in plain words; a front end that has
    an option for it adds that option's name (see :mod:`certchain.report`).
    """

    TRUST_ROOT = "trust-root"  # give the right root as a trust anchor
    GIVE_KEY = "give-key"  # name the private key
    LEAVE_OUT_ROOT = "leave-out-root"  # leave the root out of the chained file
    FIX_HOSTNAME = "fix-hostname"  # ask for the name the leaf covers
    GIVE_PASSWORD = "give-password"  # the password of an encrypted key or PKCS#12 file
    ALLOW_OVERWRITE = "allow-overwrite"  # replace an existing output, or write elsewhere
    ALLOW_WEAK = "allow-weak"  # accept legacy algorithms, for a legacy system only
    RAISE_INPUT_SIZE = "raise-input-size"  # read files larger than the size limit
    # download the missing issuer from the caIssuers URL a certificate names:
    # --fetch-missing (build, verify), or the build command connect suggests
    FETCH_MISSING = "fetch-missing"
    # connect: serve the chained file `build` makes from the served
    # certificates and the issuer the CA provides (no caIssuers URL).
    BUILD_CHAIN = "build-chain"
    RAISE_TIMEOUT = "raise-timeout"  # wait longer for a slow server


class Download(NamedTuple):
    """The URL a ``fetched-issuer`` or ``fetch-failed`` finding is about (JSON ``download``)."""

    url: str  # the caIssuers URL
    cached: bool = False  # it came from the cache, not the network
    reason: str | None = None  # why it gave no issuer (``fetch.FetchProblem`` values)


class Finding(NamedTuple):
    """
    One diagnostic about a chain.

    *position* is the index of the certificate it is about in the list of
    certificates of the result that holds it: in a build result, the chosen
    chain (leaf first); in a verify report, the file.  None: the finding is
    about the whole input.  (JSON calls it ``cert``.)
    """

    code: Code
    severity: Severity
    message: str  # one finished sentence: names the certificate and the fix
    position: int | None = None
    remedy: Remedy | None = None
    download: Download | None = None  # the URL a fetch finding is about


class CertName(NamedTuple):
    """How a result names one certificate in its messages, and where it stands."""

    text: str  # "the leaf (CN=hub)", "intermediate 1 (CN=R11)", "certificate 2 (CN=R11)"
    position: int | None  # its index in the result's certificates, or None

    def __str__(self) -> str:
        return self.text


def sentence(text: str) -> str:
    """Return *text* with its first letter capitalised (a message that starts with a name)."""
    return text[:1].upper() + text[1:]


def article(word: str) -> str:
    """Return "an" or "a" for *word* as messages spell it (by its first letter)."""
    return "an" if word[:1].upper() in "AEIOU" else "a"


_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def by_severity(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Return *findings* errors first, then warnings, then info (stable otherwise)."""
    return tuple(sorted(findings, key=lambda f: _SEVERITY_ORDER[f.severity]))


@by_identity(1024)
def subject_text(cert: x509.Certificate) -> str:
    """Return *cert*'s subject as an RFC 4514 string (``CN=R11,O=Let's Encrypt``)."""
    text = cert.subject.rfc4514_string()
    return text or "(empty subject)"


@by_identity(1024)
def issuer_text(cert: x509.Certificate) -> str:
    """Return *cert*'s issuer as an RFC 4514 string."""
    return cert.issuer.rfc4514_string() or "(empty issuer)"
