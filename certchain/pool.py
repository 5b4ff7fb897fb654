"""
The candidate issuers of a path search, indexed by the exact bytes of their subject.

A child's issuer is looked up by the bytes of its name, as Go's crypto/x509
compares names; names RFC 5280 (7.1) calls equal after string preparation are
tried only when the bytes find no issuer whose key verifies.  Candidates that
share a public key form one :class:`KeyGroup`: one signature check answers for
all of them.  Pure: no I/O, no clock; :mod:`certchain.graph` searches over it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from cryptography import x509

from . import extensions
from .certs import KeyCost, cost_with, key_cost, signature_needs
from .memo import by_identity
from .model import LoadedCert, copies, fingerprint
from .names import NameKey, issuer_key, subject_key
from .rawcert import RawFields, fields_of, key_id


@by_identity(8192)
def key_ids(cert: x509.Certificate) -> tuple[bytes | None, bytes | None]:
    """Return (authority key id, subject key id), each None when absent."""
    aki = extensions.get(cert, x509.AuthorityKeyIdentifier)
    ski = extensions.get(cert, x509.SubjectKeyIdentifier)
    return (aki.key_identifier if aki else None), (ski.digest if ski else None)


def id_rank(aki: bytes | None, ski: bytes | None) -> int:
    """Go's order: 0 when AKI equals SKI, 1 when one is absent, 2 when they differ."""
    if aki is None or ski is None:
        return 1
    return 0 if aki == ski else 2


class KeyGroup:
    """The candidates of one name that share one public key: one check answers for all."""

    def __init__(self, members: list[x509.Certificate], key_id: bytes | None) -> None:
        self._members = members
        self.key_id = key_id  # RFC 5280's identifier of the key, from the key itself
        self._ordered: tuple[x509.Certificate, ...] | None = None
        self._skis: tuple[bytes | None, ...] | None = None
        self._fingerprints: tuple[str, ...] | None = None
        self._cost: KeyCost | None = None

    def other_than(self, cert: x509.Certificate) -> x509.Certificate | None:
        """A member that is not *cert*, to check a signature with (any: they share the key)."""
        return next((m for m in self._members if m != cert), None)

    @property
    def members(self) -> tuple[x509.Certificate, ...]:
        """The members, latest expiry first, then by fingerprint (sorted when first asked)."""
        if self._ordered is None:
            self._ordered = tuple(sorted(
                self._members,
                key=lambda c: (-c.not_valid_after_utc.timestamp(), fingerprint(c)),
            ))
            self._fingerprints = None
        return self._ordered

    @property
    def fingerprints(self) -> tuple[str, ...]:
        """The fingerprint of each member, in :attr:`members` order."""
        if self._fingerprints is None:
            self._fingerprints = tuple(fingerprint(m) for m in self.members)
        return self._fingerprints

    @property
    def skis(self) -> tuple[bytes | None, ...]:
        """The subject key identifier of each member (None when absent), in order."""
        if self._skis is None:
            self._skis = tuple(key_ids(m)[1] for m in self.members)
        return self._skis

    @property
    def cost(self) -> KeyCost:
        """What a check with the key costs."""
        if self._cost is None:
            self._cost = key_cost(self._members[0])
        return self._cost

    def rank(self, aki: bytes | None) -> int:
        """The best rank of a member (:func:`id_rank`)."""
        skis = self.skis
        if aki is None or None in skis:
            return 0 if aki is not None and aki in skis else 1
        return 0 if aki in skis else 2


def _with_raw(item: x509.Certificate | LoadedCert) -> tuple[x509.Certificate, RawFields]:
    """The certificate and its raw fields: those the loader read, else read now."""
    if isinstance(item, LoadedCert):
        return item.cert, item.raw or fields_of(item.cert)
    return item, fields_of(item)


class CertPool:
    """
    Index of candidate issuers by subject name: the exact DER bytes first.

    A child's issuer is looked up by the bytes of its name, which is how
    issuers and children match in practice (Go's crypto/x509 compares only
    bytes).  RFC 5280 compares names after string preparation
    (:func:`certchain.names.name_key`), so when the bytes find no issuer
    whose key verifies, the names that compare equal that way are tried
    too; only then is every name of the pool normalised, once.  Copies of
    one certificate are merged when their name is first looked up.
    """

    def __init__(self, certs: Iterable[x509.Certificate | LoadedCert] = ()) -> None:
        # Each certificate with its public key (raw SubjectPublicKeyInfo).
        self._by_subject: dict[bytes, list[tuple[x509.Certificate, bytes]]] = {}
        self._merged: set[bytes] = set()  # subjects whose copies were merged
        self._groups: dict[bytes, list[KeyGroup]] = {}
        self._normalised: dict[NameKey, list[bytes]] | None = None
        by_subject = self._by_subject
        for item in certs:  # add()'s work, in one tight loop: 100,000 candidates are common
            cert, raw = _with_raw(item)
            entries = by_subject.get(raw.subject)
            if entries is None:
                by_subject[raw.subject] = [(cert, raw.spki)]
            else:
                entries.append((cert, raw.spki))

    def add(self, cert: x509.Certificate | LoadedCert) -> None:
        """Add *cert*, with its raw fields when the loader read them (copies are merged)."""
        cert, raw = _with_raw(cert)
        bucket = self._by_subject.get(raw.subject)
        if bucket is None:
            bucket = self._by_subject[raw.subject] = []
            if self._normalised is not None:  # a new name, once normalised
                self._normalised.setdefault(subject_key(cert, raw.subject), []).append(raw.subject)
        bucket.append((cert, raw.spki))
        self._merged.discard(raw.subject)
        self._groups.pop(raw.subject, None)

    def _entries(self, subject: bytes) -> list[tuple[x509.Certificate, bytes]]:
        """The certificates with this exact subject and their keys, copies merged."""
        bucket = self._by_subject.get(subject)
        if bucket is None:
            return []
        if subject not in self._merged:  # merged when first looked up, not on every add
            bucket[:] = copies(bucket, lambda entry: entry[0])[0]
            self._merged.add(subject)
        return bucket

    def _bucket(self, subject: bytes) -> list[x509.Certificate]:
        """The certificates with this exact subject, copies merged."""
        return [cert for cert, _ in self._entries(subject)]

    def __len__(self) -> int:
        return sum(len(self._bucket(subject)) for subject in list(self._by_subject))

    def __contains__(self, cert: object) -> bool:
        return isinstance(cert, x509.Certificate) and cert in self._bucket(fields_of(cert).subject)

    def _similar(self, issuer: bytes, cert: x509.Certificate) -> list[bytes]:
        """The other subjects that compare equal to *cert*'s issuer once normalised."""
        if self._normalised is None:
            self._normalised = {}
            for subject, bucket in self._by_subject.items():
                self._normalised.setdefault(
                    subject_key(bucket[0][0], subject), []
                ).append(subject)
        return [s for s in self._normalised.get(issuer_key(cert, issuer), ()) if s != issuer]

    def named(self, cert: x509.Certificate) -> list[x509.Certificate]:
        """Return the certificates whose subject is *cert*'s issuer: exact bytes first."""
        issuer = fields_of(cert).issuer
        found = list(self._bucket(issuer))
        for subject in self._similar(issuer, cert):
            found += self._bucket(subject)
        return found

    def candidate_issuers(self, cert: x509.Certificate) -> list[x509.Certificate]:
        """
        Return certificates whose subject is *cert*'s issuer, most plausible first.

        Ranked as Go's crypto/x509 does: authority key id equal to the
        candidate's subject key id, then one of them absent, then a mismatch
        (still tried: key identifiers are hints, RFC 5280 4.2.1.1).  Ties go
        to the later expiry, then the fingerprint, so the order never depends
        on the order of the inputs.
        """
        aki, _ = key_ids(cert)

        def order(candidate: x509.Certificate) -> tuple[int, float, str]:
            return (
                id_rank(aki, key_ids(candidate)[1]),
                -candidate.not_valid_after_utc.timestamp(),
                fingerprint(candidate),
            )

        return sorted(self.named(cert), key=order)

    def key_groups(self, cert: x509.Certificate) -> Iterator[list[KeyGroup]]:
        """
        Yield *cert*'s candidate issuers grouped by public key, in tiers to try in turn.

        Each tier is made only when the one before found no key that
        verifies, so that an issuer found at once costs nothing for the
        thousands of same-named candidates beside it:

        1. the keys whose RFC 5280 key identifier (a hash of the key itself,
           which a decoy cannot copy) is the child's authority key id;
        2. the other keys of that exact name, ranked as
           :meth:`candidate_issuers` ranks certificates (a group by its best
           member), the cheaper check first among groups ranked alike, so
           that keys built to be slow cannot delay an ordinary issuer;
        3. the keys of the names that equal it once normalised, ranked alike.
        """
        issuer = fields_of(cert).issuer
        aki, _ = key_ids(cert)
        groups = self._grouped(issuer)
        tried = [g for g in groups if aki is not None and g.key_id == aki]
        if tried:
            yield tried
        needs = signature_needs(cert)

        def ranked(groups: list[KeyGroup]) -> list[KeyGroup]:
            return sorted(groups, key=lambda g: (g.rank(aki), cost_with(needs, g.cost)))

        yield ranked([g for g in groups if g not in tried])
        yield ranked([g for s in self._similar(issuer, cert) for g in self._grouped(s)])

    def _grouped(self, subject: bytes) -> list[KeyGroup]:
        """The certificates of one exact subject grouped by public key."""
        groups = self._groups.get(subject)
        if groups is None:
            by_key: dict[bytes, list[x509.Certificate]] = {}
            for cert, spki in self._entries(subject):
                by_key.setdefault(spki, []).append(cert)
            groups = self._groups[subject] = [
                KeyGroup(members, key_id(spki)) for spki, members in by_key.items()
            ]
        return groups
