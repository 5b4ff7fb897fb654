"""
Describe every certificate and key in some material, field by field.

Pure: returns JSON-ready dictionaries; :mod:`certchain.report` draws them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID

from . import extensions
from .certs import oid_name
from .findings import issuer_text, subject_text
from .keys import describe_key, key_matches
from .model import LoadedCert, LoadedKey, Material, serial_number, utc_iso
from .names import all_names, san_names


def inspect_material(material: Material, at: datetime) -> dict[str, list[dict[str, Any]]]:
    """
    Return ``{"certificates": [...], "keys": [...]}`` describing *material*.

    Each certificate: source, subject, issuer, SANs, serial, validity and days
    left at *at*, key type and size, signature algorithm, SHA-256, SKI, AKI,
    CA flag and pathLen, AIA and CRL URLs.  Each key: source, type and size,
    and the indexes of the listed certificates it belongs to.
    """
    certs = [_cert(c, at) for c in material.certs]
    keys = [_key(k, material.certs) for k in material.keys]
    return {"certificates": certs, "keys": keys}


def _cert(loaded: LoadedCert, at: datetime) -> dict[str, Any]:
    cert = loaded.cert
    constraints = extensions.get(cert, x509.BasicConstraints)
    signature = oid_name(cert.signature_algorithm_oid)
    ski = extensions.get(cert, x509.SubjectKeyIdentifier)
    aki = extensions.get(cert, x509.AuthorityKeyIdentifier)
    return {
        "source": str(loaded.source),
        "subject": subject_text(cert),
        "issuer": issuer_text(cert),
        "san": all_names(san_names(cert)),
        "serial": format(serial_number(cert), "x"),
        "not_before": utc_iso(cert.not_valid_before_utc),
        "not_after": utc_iso(cert.not_valid_after_utc),
        "days_left": (cert.not_valid_after_utc - at).days,
        "key": describe_key(cert.public_key()),
        "signature": signature,
        "sha256": loaded.sha256,
        "ski": ski.digest.hex(":") if ski is not None else None,
        "aki": aki.key_identifier.hex(":") if aki is not None and aki.key_identifier else None,
        "ca": bool(constraints.ca) if constraints is not None else False,
        "path_length": constraints.path_length if constraints is not None else None,
        "aia": _aia(cert),
        "crl": _crl(cert),
    }


def _key(loaded: LoadedKey, certs: tuple[LoadedCert, ...]) -> dict[str, Any]:
    return {
        "source": str(loaded.source),
        "type": describe_key(loaded.key),
        "encrypted": loaded.encrypted,
        "matches": [i for i, c in enumerate(certs) if key_matches(loaded.key, c.cert)],
    }


def _aia(cert: x509.Certificate) -> dict[str, list[str]]:
    aia = extensions.get(cert, x509.AuthorityInformationAccess)
    result: dict[str, list[str]] = {"ca_issuers": [], "ocsp": []}
    for entry in aia or []:
        if not isinstance(entry.access_location, x509.UniformResourceIdentifier):
            continue
        if entry.access_method == AuthorityInformationAccessOID.CA_ISSUERS:
            result["ca_issuers"].append(entry.access_location.value)
        elif entry.access_method == AuthorityInformationAccessOID.OCSP:
            result["ocsp"].append(entry.access_location.value)
    return result


def _crl(cert: x509.Certificate) -> list[str]:
    points = extensions.get(cert, x509.CRLDistributionPoints)
    urls = []
    for point in points or []:
        for name in point.full_name or []:
            if isinstance(name, x509.UniformResourceIdentifier):
                urls.append(name.value)
    return urls
