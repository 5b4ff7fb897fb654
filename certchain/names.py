"""
Names: X.509 name comparison, hostname matching and name constraints.

Pure functions over cryptography's name types.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from cryptography import x509
from cryptography.x509.oid import NameOID

from . import extensions
from .memo import by_identity
from .rawcert import fields_of

#: A comparable form of an X.509 Name (see :func:`name_key`).
NameKey = tuple[frozenset[tuple[str, str]], ...]

IPAddr = ipaddress.IPv4Address | ipaddress.IPv6Address


@functools.lru_cache(maxsize=8192)
def name_key(name: x509.Name) -> NameKey:
    """
    Return a key under which two names that X.509 considers equal compare equal.

    RFC 5280 section 7.1 compares names after RFC 4518 string preparation:
    case is folded and runs of white space are collapsed.  Each RDN is a set
    of attribute-type/value pairs, so attribute order inside an RDN does not
    matter, but RDN order does.
    """
    return tuple(
        frozenset(
            (attr.oid.dotted_string, _prepare(attr.value))
            for attr in rdn
        )
        for rdn in name.rdns
    )


#: Normalised names by the DER bytes they were decoded from (bounded).
_BY_BYTES: dict[bytes, NameKey] = {}
_BY_BYTES_LIMIT = 8192


def subject_key(cert: x509.Certificate, der: bytes | None = None) -> NameKey:
    """
    ``name_key(cert.subject)``, found by the subject's bytes without decoding it when known.

    *der* is the subject's DER when the caller has it (else it is read).
    """
    return _by_bytes(fields_of(cert).subject if der is None else der, cert, "subject")


def issuer_key(cert: x509.Certificate, der: bytes | None = None) -> NameKey:
    """``name_key(cert.issuer)``, as :func:`subject_key` finds the subject's."""
    return _by_bytes(fields_of(cert).issuer if der is None else der, cert, "issuer")


def _by_bytes(der: bytes, cert: x509.Certificate, field: str) -> NameKey:
    # The same bytes decode to the same name: a leaf's issuer is its
    # intermediate's subject, normalised once for a whole batch of files.
    key = _BY_BYTES.get(der)
    if key is None:
        key = name_key(cert.subject if field == "subject" else cert.issuer)
        if len(_BY_BYTES) >= _BY_BYTES_LIMIT:
            _BY_BYTES.clear()
        _BY_BYTES[der] = key
    return key


def _prepare(value: str | bytes) -> str:
    if isinstance(value, bytes):
        return value.hex()
    return " ".join(value.split()).casefold()


def san_names(cert: x509.Certificate) -> list[x509.GeneralName]:
    """Return the certificate's subjectAltName entries ([] when absent)."""
    san = extensions.get(cert, x509.SubjectAlternativeName)
    return list(san) if san is not None else []


def dns_names(cert: x509.Certificate) -> list[str]:
    """Return the DNS names in the certificate's subjectAltName."""
    return [g.value for g in san_names(cert) if isinstance(g, x509.DNSName)]


def ip_addresses(cert: x509.Certificate) -> list[IPAddr]:
    """Return the IP addresses in the certificate's subjectAltName."""
    return [
        g.value
        for g in san_names(cert)
        if isinstance(g, x509.IPAddress)
        and isinstance(g.value, (ipaddress.IPv4Address, ipaddress.IPv6Address))
    ]


def parse_ip(text: str) -> IPAddr | None:
    """Return *text* as an IP address, or None when it is a DNS name."""
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def covers_hostname(cert: x509.Certificate, hostname: str) -> bool:
    """
    Return whether *cert*'s subjectAltName covers *hostname*.

    DNS names follow RFC 6125 section 6.4: case-insensitive, a wildcard only
    as the whole left-most label (``*.example.com``), matching exactly one
    label and never a bare public label (``*.com``).  This is what Python's
    ``ssl`` module and OpenSSL's ``X509_check_host`` with
    ``X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS`` accept.  IP addresses must appear
    as iPAddress entries.  The subject CN is not consulted: browsers and
    Python's ``ssl`` ignore it when a subjectAltName is present, and
    certificates without one are rejected by modern clients.
    """
    address = parse_ip(hostname)
    if address is not None:
        return address in ip_addresses(cert)
    host = hostname.rstrip(".").casefold()
    return any(_dns_match(pattern, host) for pattern in dns_names(cert))


def _dns_match(pattern: str, host: str) -> bool:
    pattern = pattern.rstrip(".").casefold()
    if not pattern.startswith("*."):
        return pattern == host
    suffix = pattern[2:]
    if "*" in suffix or suffix.count(".") < 1:
        return False
    first, _, rest = host.partition(".")
    return bool(first) and rest == suffix


# --------------------------------------------------------- name constraints

# How many name checks (one name of a certificate compared with one subtree
# of the same type in an issuer's name constraints) one path may cost.
# Checking names against constraints is quadratic, and a crafted chain (a
# leaf with thousands of names under a CA with hundreds of subtrees, as
# x509-limbo's pathological::nc-dos cases) would keep a verifier busy for
# minutes.  cryptography's verifier gives up after 1 << 20 checks
# (Budget::DEFAULT_NAME_CONSTRAINT_CHECK_LIMIT in
# src/rust/cryptography-x509-verification/src/lib.rs), and OpenSSL refuses a
# certificate whose names times constraints exceed 1 << 20 (NAME_CHECK_MAX in
# crypto/x509/v3_ncons.c).  Prepared as below, Python makes 4 to 9 million
# checks a second on a small 2-core machine (URI and directoryName slowest,
# DNS fastest), so 1 << 20 costs at most a quarter of a second.  certchain
# allows cryptography's 1 << 20 for one whole judgement, shared by every path
# it weighs (certchain.assessment), so a bundle offering many paths cannot
# multiply it; real chains need far less (a 400-name leaf under a CA with 600
# subtrees makes at most 240,000), and limbo's nc-dos-1, which OpenSSL
# accepts, fits.
MAX_NAME_CHECKS = 1 << 20


class NameCheckBudget:
    """The name checks one path may still make, shared by all its issuers' constraints."""

    __slots__ = ("exhausted", "left", "limit")

    def __init__(self, limit: int | None = None) -> None:
        self.limit = MAX_NAME_CHECKS if limit is None else limit
        self.left = self.limit
        self.exhausted = False  # a check was refused: the verdict is unknown


class NameChecksExhausted(Exception):
    """The name-check budget ran out before a certificate could be judged."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"name constraints not judged within {limit} name checks")


# OpenSSL refuses a certificate before any check when its names (subject
# attributes plus subjectAltNames) times the CA's subtrees exceed 1 << 20
# (NAME_CHECK_MAX in NAME_CONSTRAINTS_check, crypto/x509/v3_ncons.c); the
# default mode mirrors it.
OPENSSL_NAME_PAIRS = 1 << 20


class TooManyNames(Exception):
    """A certificate has more names times subtrees than OpenSSL agrees to check."""

    def __init__(self, names: int, subtrees: int) -> None:
        self.names = names
        self.subtrees = subtrees
        super().__init__(f"{names} names under {subtrees} subtrees")


def name_constraint_violation(
    constraints: x509.NameConstraints,
    cert: x509.Certificate,
    *,
    is_leaf: bool,
    budget: NameCheckBudget | None = None,
) -> str | None:
    """
    Return the first name in *cert* outside *constraints*, described, or None.

    RFC 5280 section 4.2.1.10: every name of a type that has permitted
    subtrees must fall in one of them, and no name may fall in an excluded
    subtree.  The subject DN is checked as a directoryName, and each
    emailAddress attribute in it as an rfc822Name (RFC 5280 4.2.1.10; OpenSSL's
    ``NAME_CONSTRAINTS_check`` does both).  As OpenSSL does
    (``NAME_CONSTRAINTS_check_CN``), a leaf's common name that looks like a
    host name is checked as a DNS name when the leaf has no DNS SAN.

    Each comparison of a name with a subtree costs one check of *budget*
    (a fresh one of :data:`MAX_NAME_CHECKS` when None).

    Raises:
        NameChecksExhausted: *budget* ran out before *cert* was judged.
        TooManyNames: *cert* has more names times subtrees than OpenSSL checks.
    """
    if budget is None:
        budget = NameCheckBudget()
    names = sum(len(rdn) for rdn in cert.subject.rdns) + len(san_names(cert))
    subtrees = len(constraints.permitted_subtrees or ()) + len(constraints.excluded_subtrees or ())
    if names and subtrees > OPENSSL_NAME_PAIRS // names:
        raise TooManyNames(names, subtrees)
    compiled = _compiled(constraints)
    for kind, value, name in _constrained_names(cert, is_leaf):
        match = _MATCHERS.get(kind, _match_nothing)
        excluded = compiled.excluded.get(kind)
        if excluded and value is not None:
            index = _scan(match, value, excluded[0], budget)
            if index >= 0:
                return f"{_show(name)} is in the excluded subtree {_show(excluded[1][index])}"
        permitted = compiled.permitted.get(kind)
        if permitted and (value is None or _scan(match, value, permitted[0], budget) < 0):
            return f"{_show(name)} is outside the permitted subtrees ({_listed(permitted[1])})"
    return None


def _scan(
    match: _Matcher, value: Any, prepared: list[Any], budget: NameCheckBudget
) -> int:
    """Return the index of the first subtree *value* is within, or -1; charge the checks."""
    if len(prepared) <= budget.left:
        index = match(value, prepared)
        budget.left -= index + 1 if index >= 0 else len(prepared)
        return index
    index = match(value, prepared[: budget.left])
    if index < 0:
        budget.left = 0
        budget.exhausted = True
        raise NameChecksExhausted(budget.limit)
    budget.left -= index + 1
    return index


def _listed(subtrees: list[x509.GeneralName], most: int = 10) -> str:
    shown = ", ".join(_show(s) for s in subtrees[:most])
    more = len(subtrees) - most
    return f"{shown} and {more} more" if more > 0 else shown


# Each name and subtree is prepared once (case folded, split, turned into
# integers), so that one check is one cheap comparison.  Kinds group what
# can be compared: a name is only checked against subtrees of its own kind.
_Matcher = Callable[[Any, list[Any]], int]
_Subtrees = tuple[list[Any], list[x509.GeneralName]]  # prepared, and as given
_Named = tuple[str, Any, x509.GeneralName]  # kind, prepared (None: within nothing), as given


class _Compiled(NamedTuple):
    permitted: dict[str, _Subtrees]
    excluded: dict[str, _Subtrees]


@functools.lru_cache(maxsize=256)
def _compiled(constraints: x509.NameConstraints) -> _Compiled:
    return _Compiled(
        _by_kind(constraints.permitted_subtrees), _by_kind(constraints.excluded_subtrees)
    )


def _by_kind(subtrees: Iterable[x509.GeneralName] | None) -> dict[str, _Subtrees]:
    grouped: dict[str, _Subtrees] = {}
    for subtree in subtrees or ():
        kind, prepared = _prepared_subtree(subtree)
        entry = grouped.setdefault(kind, ([], []))
        entry[0].append(prepared)
        entry[1].append(subtree)
    return grouped


def _prepared_subtree(subtree: x509.GeneralName) -> tuple[str, Any]:
    value = subtree.value
    if isinstance(subtree, x509.DNSName):
        return "dns", _dns_subtree(value)
    if isinstance(subtree, x509.UniformResourceIdentifier):
        return "uri", _dns_subtree(value)  # a URI constraint names a host (RFC 5280)
    if isinstance(subtree, x509.RFC822Name):
        constraint = value.casefold()
        if "@" in constraint:
            return "email", ("mailbox", constraint)
        return "email", ("domain" if constraint.startswith(".") else "host", constraint)
    if isinstance(subtree, x509.IPAddress):
        if isinstance(value, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            return "ip", (value.version, int(value.network_address), int(value.netmask))
        return "ip", (0, 0, 0)  # not a network: within it is nothing
    if isinstance(subtree, x509.DirectoryName):
        prefix = name_key(value)
        return "dir", (len(prefix), prefix)
    return type(subtree).__name__, None


def _dns_subtree(constraint: str) -> tuple[str, str]:
    """Return (exact, suffix): a name is within when it equals one or ends with the other."""
    constraint = constraint.rstrip(".").casefold()
    if not constraint:
        return "", ""  # the empty constraint matches every name
    if constraint.startswith("."):
        # OpenSSL and cryptography: a leading dot means "subdomains only".
        return constraint, constraint
    return constraint, "." + constraint


@by_identity(256)
def _constrained_names(cert: x509.Certificate, is_leaf: bool) -> tuple[_Named, ...]:
    """Return (kind, prepared value or None, name) for each name constraints apply to."""
    names: list[x509.GeneralName] = list(san_names(cert))
    if cert.subject.rdns:
        names.append(x509.DirectoryName(cert.subject))
        for attr in cert.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS):
            if isinstance(attr.value, str):
                names.append(x509.RFC822Name(attr.value))
    if is_leaf and not any(isinstance(n, x509.DNSName) for n in names):
        for attr in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME):
            value = attr.value
            if isinstance(value, str) and _looks_like_host(value):
                names.append(x509.DNSName(value))
    return tuple((*_prepared_name(name), name) for name in names)


def _prepared_name(name: x509.GeneralName) -> tuple[str, Any]:
    value = name.value
    if isinstance(name, x509.DNSName):
        return "dns", value.rstrip(".").casefold()
    if isinstance(name, x509.UniformResourceIdentifier):
        host = _uri_host(value)
        return "uri", host.rstrip(".").casefold() if host is not None else None
    if isinstance(name, x509.RFC822Name):
        address = value.casefold()
        return "email", (address, address.rpartition("@")[2])
    if isinstance(name, x509.IPAddress):
        if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
            return "ip", (value.version, int(value))
        return "ip", None
    if isinstance(name, x509.DirectoryName):
        return "dir", name_key(value)
    return type(name).__name__, None


def _match_dns(name: str, subtrees: list[tuple[str, str]]) -> int:
    for index, (exact, suffix) in enumerate(subtrees):
        if name == exact or name.endswith(suffix):
            return index
    return -1


def _match_email(name: tuple[str, str], subtrees: list[tuple[str, str]]) -> int:
    address, domain = name
    for index, (mode, constraint) in enumerate(subtrees):
        if mode == "mailbox":
            if address == constraint:
                return index
        elif domain.endswith(constraint) if mode == "domain" else domain == constraint:
            return index
    return -1


def _match_ip(name: tuple[int, int], subtrees: list[tuple[int, int, int]]) -> int:
    version, address = name
    for index, (net_version, network, mask) in enumerate(subtrees):
        if version == net_version and address & mask == network:
            return index
    return -1


def _match_dir(name: NameKey, subtrees: list[tuple[int, NameKey]]) -> int:
    for index, (size, prefix) in enumerate(subtrees):
        if name[:size] == prefix:
            return index
    return -1


def _match_nothing(name: Any, subtrees: list[Any]) -> int:
    return -1  # other name forms: no name is within such a subtree


_MATCHERS: dict[str, _Matcher] = {
    "dns": _match_dns,
    "uri": _match_dns,
    "email": _match_email,
    "ip": _match_ip,
    "dir": _match_dir,
}


def _looks_like_host(value: str) -> bool:
    labels = value.split(".")
    return len(labels) > 1 and all(
        label and all(ch.isalnum() or ch in "-*" for ch in label) for label in labels
    )


def _uri_host(uri: str) -> str | None:
    from urllib.parse import urlsplit

    try:
        return urlsplit(uri).hostname
    except ValueError:
        return None


def _show(name: x509.GeneralName) -> str:
    if isinstance(name, x509.DirectoryName):
        return f"DirName:{name.value.rfc4514_string()}"
    kind = {
        x509.DNSName: "DNS",
        x509.IPAddress: "IP",
        x509.RFC822Name: "email",
        x509.UniformResourceIdentifier: "URI",
    }.get(type(name), type(name).__name__)
    return f"{kind}:{name.value}"


def first_subject_name(cert: x509.Certificate) -> str | None:
    """
    Return a name the leaf is for: its first DNS or IP subjectAltName, or None.

    A name to verify against must be concrete, so a wildcard SAN comes back
    with a label in place of the ``*`` (``*.example.org`` gives
    ``wildcard.example.org``), and only when no concrete name is listed.
    """
    wildcard = None
    for general in san_names(cert):
        if isinstance(general, x509.IPAddress):
            return str(general.value)
        if isinstance(general, x509.DNSName):
            value = str(general.value)
            if not value.startswith("*."):
                return value
            wildcard = wildcard or "wildcard" + value[1:]
    return wildcard


def all_names(items: Iterable[x509.GeneralName]) -> list[str]:
    """Return printable forms of *items* (for reports)."""
    return [_show(item) for item in items]
