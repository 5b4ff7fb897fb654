"""
Names: X.509 name comparison, hostname matching and name constraints.

Pure functions over cryptography's name types.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable

from cryptography import x509
from cryptography.x509.oid import NameOID

from . import extensions

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


def name_constraint_violation(
    constraints: x509.NameConstraints, cert: x509.Certificate, *, is_leaf: bool
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
    """
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
    permitted = list(constraints.permitted_subtrees or [])
    excluded = list(constraints.excluded_subtrees or [])
    for name in names:
        for subtree in excluded:
            if _within(name, subtree):
                return f"{_show(name)} is in the excluded subtree {_show(subtree)}"
        same_type = [s for s in permitted if type(s) is type(name)]
        if same_type and not any(_within(name, s) for s in same_type):
            allowed = ", ".join(_show(s) for s in same_type)
            return f"{_show(name)} is outside the permitted subtrees ({allowed})"
    return None


def _looks_like_host(value: str) -> bool:
    labels = value.split(".")
    return len(labels) > 1 and all(
        label and all(ch.isalnum() or ch in "-*" for ch in label) for label in labels
    )


def _within(name: x509.GeneralName, subtree: x509.GeneralName) -> bool:
    if type(name) is not type(subtree):
        return False
    if isinstance(name, x509.DNSName):
        return _dns_within(name.value, subtree.value)
    if isinstance(name, x509.IPAddress):
        network = subtree.value
        return (
            isinstance(network, (ipaddress.IPv4Network, ipaddress.IPv6Network))
            and name.value.version == network.version
            and name.value in network
        )
    if isinstance(name, x509.RFC822Name):
        return _email_within(name.value, subtree.value)
    if isinstance(name, x509.UniformResourceIdentifier):
        host = _uri_host(name.value)
        return host is not None and _dns_within(host, subtree.value)
    if isinstance(name, x509.DirectoryName):
        prefix = name_key(subtree.value)
        return name_key(name.value)[: len(prefix)] == prefix
    return False


def _dns_within(name: str, constraint: str) -> bool:
    name = name.rstrip(".").casefold()
    constraint = constraint.rstrip(".").casefold()
    if not constraint:
        return True  # the empty constraint matches every name
    if constraint.startswith("."):
        # OpenSSL and cryptography: a leading dot means "subdomains only".
        return name.endswith(constraint)
    return name == constraint or name.endswith("." + constraint)


def _email_within(address: str, constraint: str) -> bool:
    address = address.casefold()
    constraint = constraint.casefold()
    if "@" in constraint:
        return address == constraint
    domain = address.rpartition("@")[2]
    if constraint.startswith("."):
        return domain.endswith(constraint)
    return domain == constraint


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
