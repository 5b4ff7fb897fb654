"""
Describe every certificate and key in some material, field by field.

Pure: returns JSON-ready dictionaries; :mod:`certchain.report` draws them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID

from . import extensions
from .certs import oid_name
from .findings import issuer_text, subject_text
from .keys import describe_key, key_matches
from .model import LoadedCert, LoadedKey, LockedKey, Material, serial_number, utc_iso
from .names import all_names, san_names

#: How many certificates (and keys) ``inspect`` lists by default: past a
#: screenful, a listing is for a program (JSON) or asked for (``--all``).
INSPECT_LIMIT = 100


def inspect_material(
    material: Material, at: datetime, *, others: Sequence[Material] = (),
    limit: int | None = None,
) -> dict[str, Any]:
    """
    Return ``{"certificates": [...], "keys": [...]}`` describing *material*.

    Each certificate: source, subject, issuer, SANs, serial, validity and days
    left at *at*, key type and size, signature algorithm, SHA-256, SKI, AKI,
    CA flag and pathLen, keyUsage and extended key usage, AIA and CRL URLs.
    Each key: source, type and size, the indexes of the listed certificates
    it belongs to (``matches``) and the certificates of *others* (the other
    files of the same run) it belongs to (``matches_elsewhere``: file and
    index).  An encrypted key left closed (``Material.locked``) is listed
    with its source only: its type is None and it matches nothing known.

    With a *limit*, only the first *limit* certificates and keys are
    described (a key still matches every certificate), and ``omitted``
    counts the others: ``{"certificates": n, "keys": m}``.
    """
    shown = material.certs if limit is None else material.certs[:limit]
    certs = [_cert(c, at) for c in shown]
    keys = [_key(k, material.certs, others) for k in material.keys[:limit]]
    keys += [_locked(k) for k in material.locked[:limit]]
    keys.sort(key=lambda k: k["_index"])
    keys = keys[:limit]
    for key in keys:
        del key["_index"]
    items: dict[str, Any] = {"certificates": certs, "keys": keys}
    if limit is not None:
        items["omitted"] = {
            "certificates": len(material.certs) - len(certs),
            "keys": len(material.keys) + len(material.locked) - len(keys),
        }
    return items


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
        "key_usage": _key_usage(cert),
        "ext_key_usage": _ext_key_usage(cert),
        "aia": _aia(cert),
        "crl": _crl(cert),
    }


def _key(
    loaded: LoadedKey, certs: tuple[LoadedCert, ...], others: Sequence[Material]
) -> dict[str, Any]:
    elsewhere = [
        {"file": str(other.certs[i].source.path), "cert": i}
        for other in others
        for i, c in enumerate(other.certs)
        if key_matches(loaded.key, c.cert)
    ]
    return {
        "source": str(loaded.source),
        "type": describe_key(loaded.key),
        "encrypted": loaded.encrypted,
        "matches": [i for i, c in enumerate(certs) if key_matches(loaded.key, c.cert)],
        "matches_elsewhere": elsewhere,
        "_index": loaded.source.index,
    }


def _locked(locked: LockedKey) -> dict[str, Any]:
    return {
        "source": str(locked.source),
        "type": None,
        "encrypted": True,
        "matches": [],
        "matches_elsewhere": [],
        "_index": locked.source.index,
    }


# RFC 5280 4.2.1.3 names, in its order; cryptography's attribute for each.
_KEY_USAGES = (
    ("digitalSignature", "digital_signature"),
    ("nonRepudiation", "content_commitment"),
    ("keyEncipherment", "key_encipherment"),
    ("dataEncipherment", "data_encipherment"),
    ("keyAgreement", "key_agreement"),
    ("keyCertSign", "key_cert_sign"),
    ("cRLSign", "crl_sign"),
)


def _key_usage(cert: x509.Certificate) -> list[str] | None:
    """The keyUsage bits set, by their RFC 5280 names; None when the extension is absent."""
    usage = extensions.get(cert, x509.KeyUsage)
    if usage is None:
        return None
    names = [name for name, attribute in _KEY_USAGES if getattr(usage, attribute)]
    if usage.key_agreement:  # only meaningful, and only readable, with keyAgreement
        names += [name for name, attribute in (("encipherOnly", "encipher_only"),
                                               ("decipherOnly", "decipher_only"))
                  if getattr(usage, attribute)]
    return names


def _ext_key_usage(cert: x509.Certificate) -> list[str] | None:
    """The extended key usages (``serverAuth``, ...); None when the extension is absent."""
    usage = extensions.get(cert, x509.ExtendedKeyUsage)
    return None if usage is None else [oid_name(oid) for oid in usage]


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
