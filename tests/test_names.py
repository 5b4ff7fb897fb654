"""Tests for certchain.names: name comparison, hostname matching, name constraints."""

from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID
from pki import PKI, T0, T0_ISO, Crafted, many_names, nc_dos, new_key

from certchain import names
from certchain.findings import Finding
from certchain.cli import ExitCode, main
from certchain.names import (
    MAX_NAME_CHECKS,
    NameCheckBudget,
    NameChecksExhausted,
    covers_hostname,
    first_subject_name,
    issuer_key,
    name_constraint_violation,
    name_key,
    subject_key,
)
from certchain.assessment import path_naming
from certchain.model import TrustStore
from certchain.policy import Policy
from certchain.rules import check_path


def judge(chain: tuple[x509.Certificate, ...]) -> list[Finding]:
    """check_path at T0, certificates named by place in the chain."""
    return check_path(chain, Policy(store=TrustStore((), "none"), at=T0), path_naming(chain))

MakeCert = Callable[..., x509.Certificate]


def cn(value: str) -> x509.NameAttribute[str]:
    return x509.NameAttribute(NameOID.COMMON_NAME, value)


def org(value: str) -> x509.NameAttribute[str]:
    return x509.NameAttribute(NameOID.ORGANIZATION_NAME, value)


def dn(*attrs: x509.NameAttribute[str]) -> x509.Name:
    """Return a Name with one attribute per RDN, in the order given."""
    return x509.Name(list(attrs))


@pytest.fixture(scope="module")
def shared_key() -> Any:
    """One key for every certificate in this module: only names matter here."""
    return new_key()


@pytest.fixture(scope="module")
def make_cert(pki: PKI, shared_key: Any) -> MakeCert:
    """Return a factory: a certificate with the given subject and subjectAltNames."""

    def make(
        *san: x509.GeneralName, subject: x509.Name | None = None
    ) -> x509.Certificate:
        return pki.issue(
            subject if subject is not None else dn(cn("Names Test")),
            shared_key, None, ca=False, san=list(san),
        ).cert

    return make


def dns(*names: str) -> list[x509.GeneralName]:
    return [x509.DNSName(n) for n in names]


def permitted(*subtrees: x509.GeneralName) -> x509.NameConstraints:
    return x509.NameConstraints(permitted_subtrees=list(subtrees), excluded_subtrees=None)


def excluded(*subtrees: x509.GeneralName) -> x509.NameConstraints:
    return x509.NameConstraints(permitted_subtrees=None, excluded_subtrees=list(subtrees))


def assert_within(constraints: x509.NameConstraints, cert: x509.Certificate) -> None:
    violation = name_constraint_violation(constraints, cert, is_leaf=True)
    assert violation is None, violation


def assert_violates(
    constraints: x509.NameConstraints, cert: x509.Certificate, *, naming: str
) -> None:
    violation = name_constraint_violation(constraints, cert, is_leaf=True)
    assert violation is not None, "expected a name-constraints violation"
    assert naming in violation


class TestNameKey:
    def test_equal_names_are_equal(self) -> None:
        """Identical names produce identical keys."""
        assert name_key(dn(org("Acme"), cn("R1"))) == name_key(dn(org("Acme"), cn("R1")))

    def test_case_is_folded(self) -> None:
        """Names differing only in letter case compare equal (RFC 4518 case folding)."""
        assert name_key(dn(cn("Test Intermediate"))) == name_key(dn(cn("TEST intermediate")))

    def test_white_space_is_collapsed(self) -> None:
        """Leading, trailing and repeated white space does not matter (RFC 4518)."""
        assert name_key(dn(cn("Test Intermediate"))) == name_key(dn(cn("  Test   Intermediate ")))

    def test_attribute_order_within_an_rdn_is_irrelevant(self) -> None:
        """A multi-valued RDN is a set: the order of its attributes does not matter."""
        one = x509.Name([x509.RelativeDistinguishedName([org("Acme"), cn("R1")])])
        other = x509.Name([x509.RelativeDistinguishedName([cn("R1"), org("Acme")])])
        assert name_key(one) == name_key(other)

    def test_rdn_order_matters(self) -> None:
        """The sequence of RDNs is ordered: O=Acme,CN=R1 is not CN=R1,O=Acme."""
        assert name_key(dn(org("Acme"), cn("R1"))) != name_key(dn(cn("R1"), org("Acme")))

    def test_multi_valued_rdn_differs_from_separate_rdns(self) -> None:
        """One RDN holding two attributes is not the same name as two RDNs."""
        joined = x509.Name([x509.RelativeDistinguishedName([org("Acme"), cn("R1")])])
        assert name_key(joined) != name_key(dn(org("Acme"), cn("R1")))

    def test_string_type_is_irrelevant(self) -> None:
        """PrintableString and UTF8String encodings of the same value compare equal."""
        printable = x509.Name([
            x509.NameAttribute(NameOID.COMMON_NAME, "R1", _type=_ASN1Type.PrintableString)
        ])
        utf8 = x509.Name([
            x509.NameAttribute(NameOID.COMMON_NAME, "R1", _type=_ASN1Type.UTF8String)
        ])
        assert name_key(printable) == name_key(utf8)

    def test_attribute_type_matters(self) -> None:
        """The same value under different attribute types is a different name."""
        assert name_key(dn(cn("Acme"))) != name_key(dn(org("Acme")))

    def test_different_values_differ(self) -> None:
        """Names with different values are different."""
        assert name_key(dn(cn("R10"))) != name_key(dn(cn("R11")))


class TestNameKeysOfCertificates:
    """subject_key and issuer_key: name_key of a certificate's names, found by their bytes."""

    def test_they_are_name_key_of_the_decoded_names(self, make_cert: MakeCert) -> None:
        """Whatever was seen before, each is name_key of the name it reads."""
        cert = make_cert(subject=dn(org("Acme"), cn("Key Test")))
        assert subject_key(cert) == name_key(cert.subject)
        assert issuer_key(cert) == name_key(cert.issuer)
        assert subject_key(cert) == name_key(cert.subject)  # remembered: the same

    def test_names_equal_once_normalised_have_one_key(self, make_cert: MakeCert) -> None:
        """Other bytes for the same name (case, spaces) still give the same key."""
        upper = make_cert(subject=dn(cn("KEY  Test")))
        lower = make_cert(subject=dn(cn("key test")))
        assert upper.subject.public_bytes() != lower.subject.public_bytes()
        assert subject_key(upper) == subject_key(lower)

    def test_an_issuer_name_written_another_way_has_its_issuers_key(
        self, pki: PKI, shared_key: Any
    ) -> None:
        """A child naming its issuer in other bytes (another case) gets the issuer's key."""
        issuer = pki.issue(dn(cn("Bytes CA")), shared_key, None, ca=True)
        child = pki.issue(dn(cn("Bytes Leaf")), shared_key, issuer, ca=False,
                          issuer_name=dn(cn("BYTES ca")))
        assert child.cert.issuer.public_bytes() != issuer.cert.subject.public_bytes()
        assert issuer_key(child.cert) == subject_key(issuer.cert)
        assert issuer_key(child.cert) != subject_key(child.cert)


class TestFirstSubjectName:
    def test_first_concrete_dns_name(self, make_cert: MakeCert) -> None:
        """A concrete DNS name wins over a wildcard listed before it."""
        cert = make_cert(*dns("*.example.org", "hub.example.org"))
        assert "hub.example.org" == first_subject_name(cert)

    def test_wildcard_only_gives_a_concrete_name(self, make_cert: MakeCert) -> None:
        """A leaf with only a wildcard yields a concrete name the wildcard covers."""
        cert = make_cert(*dns("*.example.org"))
        name = first_subject_name(cert)
        assert "wildcard.example.org" == name
        assert covers_hostname(cert, name)

    def test_ip_address(self, make_cert: MakeCert) -> None:
        """An IP address SAN is returned as text."""
        cert = make_cert(x509.IPAddress(ipaddress.ip_address("10.0.0.1")))
        assert "10.0.0.1" == first_subject_name(cert)

    def test_no_san(self, make_cert: MakeCert) -> None:
        """Without DNS or IP SANs there is no name."""
        assert first_subject_name(make_cert()) is None


class TestCoversHostname:
    @pytest.fixture(scope="class")
    @classmethod
    def leaf(cls, make_cert: MakeCert) -> x509.Certificate:
        """A leaf for hub.example.org, *.example.org, 10.0.0.1 and 2001:db8::1."""
        return make_cert(
            *dns("hub.example.org", "*.example.org"),
            x509.IPAddress(ipaddress.ip_address("10.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("2001:db8::1")),
        )

    @pytest.mark.parametrize(
        "hostname",
        [
            "hub.example.org",
            "HUB.Example.ORG",
            "hub.example.org.",
            "a.example.org",
            "10.0.0.1",
            "2001:db8::1",
            "2001:db8:0:0::1",
            "[2001:db8::1]",
        ],
    )
    def test_covered(self, leaf: x509.Certificate, hostname: str) -> None:
        """Exact DNS names (any case, trailing dot), one-label wildcards and IP SANs are covered."""
        assert covers_hostname(leaf, hostname)

    @pytest.mark.parametrize(
        "hostname",
        [
            "a.b.example.org",  # a wildcard covers exactly one label
            "example.org",  # ... and never the bare parent domain
            "hub.example.com",
            "10.0.0.2",
            "2001:db8::2",
            "",
        ],
    )
    def test_not_covered(self, leaf: x509.Certificate, hostname: str) -> None:
        """Deeper names, the bare parent, other names and other addresses are not covered."""
        assert not covers_hostname(leaf, hostname)

    def test_wildcard_over_a_public_label_matches_nothing(self, make_cert: MakeCert) -> None:
        """A *.com wildcard never matches (RFC 6125 6.4.3)."""
        assert not covers_hostname(make_cert(*dns("*.com")), "example.com")

    def test_partial_wildcard_is_refused(self, make_cert: MakeCert) -> None:
        """A wildcard inside a label (a*.example.org) matches nothing, as in Python's ssl."""
        assert not covers_hostname(make_cert(*dns("a*.example.org")), "ab.example.org")

    def test_common_name_is_not_consulted(self, make_cert: MakeCert) -> None:
        """A leaf whose name is only in the subject CN does not cover it."""
        cert = make_cert(subject=dn(cn("hub.example.org")))
        assert not covers_hostname(cert, "hub.example.org")

    def test_ip_address_needs_an_ip_san(self, make_cert: MakeCert) -> None:
        """An IP address written as a DNS SAN does not cover that address (RFC 6125 1.7.2)."""
        assert not covers_hostname(make_cert(*dns("10.0.0.1")), "10.0.0.1")


class TestNameConstraintViolation:
    @pytest.mark.parametrize("name", ["example.com", "hub.example.com", "A.B.EXAMPLE.COM"])
    def test_dns_within_permitted_domain(self, make_cert: MakeCert, name: str) -> None:
        """A permitted DNS subtree covers the domain itself and every name below it."""
        assert_within(permitted(x509.DNSName("example.com")), make_cert(*dns(name)))

    @pytest.mark.parametrize("name", ["badexample.com", "example.org", "example.com.evil.org"])
    def test_dns_outside_permitted_domain(self, make_cert: MakeCert, name: str) -> None:
        """A name that merely ends with the same letters is outside a permitted DNS subtree."""
        assert_violates(
            permitted(x509.DNSName("example.com")), make_cert(*dns(name)), naming=name
        )

    def test_leading_dot_permits_subdomains(self, make_cert: MakeCert) -> None:
        """A leading-dot DNS constraint (.example.com) permits names below the domain."""
        assert_within(permitted(x509.DNSName(".example.com")), make_cert(*dns("a.example.com")))

    def test_leading_dot_excludes_the_domain_itself(self, make_cert: MakeCert) -> None:
        """A leading-dot DNS constraint (.example.com) does not permit example.com itself."""
        assert_violates(
            permitted(x509.DNSName(".example.com")), make_cert(*dns("example.com")),
            naming="example.com",
        )

    def test_every_dns_name_must_be_permitted(self, make_cert: MakeCert) -> None:
        """One SAN outside the permitted subtree is enough for a violation."""
        cert = make_cert(*dns("hub.example.com", "hub.example.org"))
        assert_violates(permitted(x509.DNSName("example.com")), cert, naming="hub.example.org")

    def test_any_of_several_permitted_subtrees_suffices(self, make_cert: MakeCert) -> None:
        """A name inside one of several permitted subtrees is accepted."""
        constraints = permitted(x509.DNSName("example.com"), x509.DNSName("example.org"))
        assert_within(constraints, make_cert(*dns("hub.example.org")))

    def test_excluded_dns_subtree(self, make_cert: MakeCert) -> None:
        """A name below an excluded DNS subtree is a violation."""
        assert_violates(
            excluded(x509.DNSName("bad.example.com")), make_cert(*dns("x.bad.example.com")),
            naming="excluded",
        )

    def test_name_beside_excluded_subtree_is_fine(self, make_cert: MakeCert) -> None:
        """A sibling of an excluded DNS subtree is not excluded."""
        assert_within(
            excluded(x509.DNSName("bad.example.com")), make_cert(*dns("good.example.com"))
        )

    def test_excluded_leading_dot_spares_the_domain_itself(self, make_cert: MakeCert) -> None:
        """An excluded .example.com subtree excludes a.example.com but not example.com."""
        constraints = excluded(x509.DNSName(".example.com"))
        assert_violates(constraints, make_cert(*dns("a.example.com")), naming="a.example.com")
        assert_within(constraints, make_cert(*dns("example.com")))

    def test_excluded_wins_over_permitted(self, make_cert: MakeCert) -> None:
        """A name both permitted and excluded is a violation."""
        constraints = x509.NameConstraints(
            permitted_subtrees=[x509.DNSName("example.com")],
            excluded_subtrees=[x509.DNSName("secret.example.com")],
        )
        assert_violates(constraints, make_cert(*dns("db.secret.example.com")), naming="excluded")

    def test_ip_within_permitted_network(self, make_cert: MakeCert) -> None:
        """An IP SAN inside a permitted network is accepted."""
        cert = make_cert(x509.IPAddress(ipaddress.ip_address("10.1.2.3")))
        assert_within(permitted(x509.IPAddress(ipaddress.ip_network("10.0.0.0/8"))), cert)

    def test_ip_outside_permitted_network(self, make_cert: MakeCert) -> None:
        """An IP SAN outside every permitted network is a violation."""
        cert = make_cert(x509.IPAddress(ipaddress.ip_address("192.168.1.1")))
        assert_violates(
            permitted(x509.IPAddress(ipaddress.ip_network("10.0.0.0/8"))), cert,
            naming="192.168.1.1",
        )

    def test_ipv6_address_outside_ipv4_only_permission(self, make_cert: MakeCert) -> None:
        """With only IPv4 networks permitted, an IPv6 SAN is outside them."""
        cert = make_cert(x509.IPAddress(ipaddress.ip_address("2001:db8::1")))
        assert_violates(
            permitted(x509.IPAddress(ipaddress.ip_network("10.0.0.0/8"))), cert,
            naming="2001:db8::1",
        )

    def test_ip_in_excluded_network(self, make_cert: MakeCert) -> None:
        """An IP SAN in an excluded network is a violation."""
        cert = make_cert(x509.IPAddress(ipaddress.ip_address("192.168.1.1")))
        assert_violates(
            excluded(x509.IPAddress(ipaddress.ip_network("192.168.0.0/16"))), cert,
            naming="excluded",
        )

    def test_constraint_on_another_name_type_does_not_apply(self, make_cert: MakeCert) -> None:
        """A DNS-only permitted subtree says nothing about an IP SAN."""
        cert = make_cert(x509.IPAddress(ipaddress.ip_address("192.168.1.1")))
        assert_within(permitted(x509.DNSName("example.com")), cert)

    @pytest.mark.parametrize(
        ("constraint", "address", "inside"),
        [
            ("example.com", "u@example.com", True),
            ("example.com", "u@EXAMPLE.com", True),
            ("example.com", "u@sub.example.com", False),
            (".example.com", "u@sub.example.com", True),
            (".example.com", "u@example.com", False),
            ("u@example.com", "u@example.com", True),
            ("u@example.com", "v@example.com", False),
        ],
    )
    def test_email(self, make_cert: MakeCert, constraint: str, address: str, inside: bool) -> None:
        """Email constraints name a host, a leading-dot domain or one mailbox (RFC 5280)."""
        constraints = permitted(x509.RFC822Name(constraint))
        cert = make_cert(x509.RFC822Name(address))
        violation = name_constraint_violation(constraints, cert, is_leaf=True)
        assert (violation is None) is inside, violation

    def test_uri_host_checked_against_uri_constraint(self, make_cert: MakeCert) -> None:
        """A URI SAN is judged by its host part."""
        constraints = permitted(x509.UniformResourceIdentifier(".example.com"))
        assert_within(constraints, make_cert(x509.UniformResourceIdentifier("https://a.example.com/x")))
        assert_violates(
            constraints, make_cert(x509.UniformResourceIdentifier("https://a.example.org/x")),
            naming="a.example.org",
        )

    def test_dirname_prefix_permitted(self, make_cert: MakeCert) -> None:
        """A subject whose leading RDNs equal a permitted directoryName is within it."""
        constraints = permitted(x509.DirectoryName(dn(org("Acme"))))
        assert_within(constraints, make_cert(subject=dn(org("Acme"), cn("hub"))))

    def test_dirname_prefix_compares_like_names(self, make_cert: MakeCert) -> None:
        """The directoryName prefix is compared case-insensitively, like any X.509 name."""
        constraints = permitted(x509.DirectoryName(dn(org("ACME"))))
        assert_within(constraints, make_cert(subject=dn(org("acme"), cn("hub"))))

    def test_dirname_outside_permitted(self, make_cert: MakeCert) -> None:
        """A subject under another organisation violates a directoryName permission."""
        constraints = permitted(x509.DirectoryName(dn(org("Acme"))))
        assert_violates(
            constraints, make_cert(subject=dn(org("Other"), cn("hub"))), naming="DirName"
        )

    def test_dirname_is_a_prefix_not_a_suffix(self, make_cert: MakeCert) -> None:
        """The permitted directoryName must be the leading RDNs, not the trailing ones."""
        constraints = permitted(x509.DirectoryName(dn(org("Acme"))))
        assert_violates(
            constraints, make_cert(subject=dn(cn("hub"), org("Acme"))), naming="DirName"
        )

    def test_dirname_excluded(self, make_cert: MakeCert) -> None:
        """A subject under an excluded directoryName is a violation."""
        constraints = excluded(x509.DirectoryName(dn(org("Acme"))))
        assert_violates(
            constraints, make_cert(subject=dn(org("Acme"), cn("hub"))), naming="excluded"
        )

    def test_host_like_common_name_of_leaf_checked_as_dns(self, make_cert: MakeCert) -> None:
        """A leaf without DNS SANs has a host-like CN checked as a DNS name (OpenSSL behaviour)."""
        cert = make_cert(subject=dn(cn("host.evil.org")))
        constraints = permitted(x509.DNSName("example.com"))
        assert_violates(constraints, cert, naming="host.evil.org")
        assert name_constraint_violation(constraints, cert, is_leaf=False) is None

    def test_common_name_ignored_when_dns_san_present(self, make_cert: MakeCert) -> None:
        """With a DNS SAN present, the subject CN is not checked as a DNS name."""
        cert = make_cert(*dns("hub.example.com"), subject=dn(cn("host.evil.org")))
        assert_within(permitted(x509.DNSName("example.com")), cert)

    def test_plain_common_name_not_checked_as_dns(self, make_cert: MakeCert) -> None:
        """A CN that does not look like a host name (spaces) is not taken for one."""
        cert = make_cert(subject=dn(cn("Test Intermediate")))
        assert_within(permitted(x509.DNSName("example.com")), cert)

    @pytest.mark.parametrize(
        ("address", "inside"), [("hub@example.com", True), ("hub@evil.org", False)]
    )
    def test_subject_email_checked_as_rfc822(
        self, make_cert: MakeCert, address: str, inside: bool
    ) -> None:
        """A subject emailAddress is checked against rfc822Name constraints (RFC 5280, OpenSSL)."""
        email = x509.NameAttribute(NameOID.EMAIL_ADDRESS, address)
        cert = make_cert(subject=dn(cn("Mail Test"), email))
        violation = name_constraint_violation(
            permitted(x509.RFC822Name("example.com")), cert, is_leaf=True
        )
        assert (violation is None) is inside, violation
        if not inside:
            assert f"email:{address}" in (violation or "")


class TestNameCheckBudget:
    def test_each_comparison_costs_one_check(self, make_cert: MakeCert) -> None:
        """Three names against four excluded subtrees of their type cost twelve checks."""
        cert = make_cert(*dns("a.example.org", "b.example.org", "c.example.org"))
        constraints = excluded(*many_names(4, "x{}.example.org"), x509.IPAddress(
            ipaddress.ip_network("10.0.0.0/8")
        ))
        budget = NameCheckBudget(100)
        assert name_constraint_violation(constraints, cert, is_leaf=False, budget=budget) is None
        assert budget.left == 100 - 12  # the IP subtree is never compared with a DNS name
        assert not budget.exhausted

    def test_a_permitted_match_stops_the_scan(self, make_cert: MakeCert) -> None:
        """A name found in the second permitted subtree costs two checks, not all of them."""
        constraints = permitted(*dns("a.example", "example.org", "c.example", "d.example"))
        budget = NameCheckBudget(100)
        cert = make_cert(*dns("hub.example.org"))
        assert name_constraint_violation(constraints, cert, is_leaf=False, budget=budget) is None
        assert budget.left == 98

    def test_just_enough_budget_judges(self, make_cert: MakeCert) -> None:
        """With exactly the checks needed, the certificate is judged (here: a violation)."""
        cert = make_cert(*dns("a.example.org", "x1.example.org"))
        constraints = excluded(*many_names(3, "x{}.example.org"))
        budget = NameCheckBudget(5)  # 3 for a.example.org, 2 to find x1.example.org
        violation = name_constraint_violation(constraints, cert, is_leaf=False, budget=budget)
        assert "x1.example.org is in the excluded subtree" in (violation or "")

    def test_budget_used_up_raises(self, make_cert: MakeCert) -> None:
        """One check short, the certificate is not judged: NameChecksExhausted, never None."""
        cert = make_cert(*dns("a.example.org", "x9.example.org"))
        constraints = excluded(*many_names(3, "x{}.example.org"))
        budget = NameCheckBudget(4)
        with pytest.raises(NameChecksExhausted) as raised:
            name_constraint_violation(constraints, cert, is_leaf=False, budget=budget)
        assert raised.value.limit == 4
        assert budget.exhausted

    def test_default_budget(self) -> None:
        """The default is cryptography's 1 << 20 checks, for one whole judgement."""
        assert MAX_NAME_CHECKS == 1 << 20
        assert NameCheckBudget().limit == MAX_NAME_CHECKS

    def test_one_budget_for_the_whole_path(
        self, pki: PKI, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Two constrained CAs share one budget: each fits alone, together they do not."""
        monkeypatch.setattr(names, "MAX_NAME_CHECKS", 150)
        constraints = x509.NameConstraints(None, many_names(10, "x{}.example.org"))
        hosts = [f"h{i}.example.org" for i in range(10)]  # 100 checks for each CA
        plain = pki.root("Plain Root")
        alone = pki.intermediate(plain, "Alone CA", name_constraints=constraints)
        leaf_alone = pki.leaf(alone, *hosts)
        assert judge((leaf_alone.cert, alone.cert, plain.cert)) == []
        root = pki.root("Shared Root", name_constraints=constraints)
        inter = pki.intermediate(root, "Shared CA", name_constraints=constraints)
        leaf = pki.leaf(inter, *hosts)
        found = judge((leaf.cert, inter.cert, root.cert))
        assert {(f.code.value, f.severity.value, f.position) for f in found} == {
            ("limit-reached", "error", 2)
        }


# Names times subtrees above OpenSSL's 1 << 20 (refused unchecked, as OpenSSL
# does), and below it (judged, as OpenSSL does: limbo's nc-dos-1 and -2).
NC_DOS_SHAPES = ["many-sans", "wide", "nc-dos-3"]
NC_DOS_JUDGED = ["nc-dos-1", "nc-dos-2"]


@pytest.fixture(scope="module", params=NC_DOS_SHAPES)
def crafted(request: pytest.FixtureRequest, pki: PKI) -> Crafted:
    """A chain crafted to cost many name checks (see tests/pki.py nc_dos)."""
    return nc_dos(pki, request.param)


@pytest.mark.parametrize("shape", NC_DOS_JUDGED)
def test_many_names_that_openssl_checks_are_judged_within_a_second(pki: PKI, shape: str) -> None:
    """Under OpenSSL's 1 << 20 names-times-subtrees, the chain is judged (and fine), fast."""
    chain = nc_dos(pki, shape).chain
    start = time.perf_counter()
    found = judge(chain)
    assert time.perf_counter() - start < 1.0
    assert found == []


class TestNameConstraintDenialOfService:
    # Today's answer is refusing within a second; before the budget these
    # chains kept certchain busy for seconds to minutes.
    def test_library_answers_within_a_second(self, crafted: Crafted) -> None:
        """check_path refuses at OpenSSL's limit, says limit-reached, and answers within 1 s."""
        start = time.perf_counter()
        found = judge(crafted.chain)
        elapsed = time.perf_counter() - start

        assert elapsed < 1.0
        assert {(f.code.value, f.severity.value) for f in found} == {("limit-reached", "error")}
        (limit,) = found
        assert limit.position == 1  # the constrained CA: the intermediate, or the root over the leaf
        assert f"{1 << 20:,}" in limit.message
        assert "OpenSSL refuses the chain unchecked" in limit.message

    @pytest.mark.parametrize("command", ["build", "verify"])
    def test_cli_answers_within_a_second(
        self, runner: CliRunner, tmp_path: Path, crafted: Crafted, command: str
    ) -> None:
        """`certchain build` and `verify` (--at, --trust) refuse with limit-reached within 1 s."""
        root = crafted.cas[-1].write(tmp_path / "root.crt")
        if command == "build":
            files = [crafted.leaf.write(tmp_path / "hub.crt")]
            files += [ca.write(tmp_path / f"ca{i}.crt") for i, ca in enumerate(crafted.cas[:-1])]
        else:
            served = tmp_path / "hub-chained.crt"
            served.write_bytes(b"".join(i.pem for i in (crafted.leaf, *crafted.cas[:-1])))
            files = [served]
        argv = [command, *map(str, files), "--trust", str(root), "--at", T0_ISO, "--json"]

        start = time.perf_counter()
        result = runner.invoke(main, argv)
        elapsed = time.perf_counter() - start

        assert result.exit_code == ExitCode.CHAIN_PROBLEM, result.output
        assert elapsed < 1.0
        codes = {(f["code"], f["severity"]) for f in json.loads(result.stdout)["findings"]}
        assert ("limit-reached", "error") in codes
        assert "name-constraints" not in {code for code, _ in codes}

    def test_many_names_within_budget_are_judged(self, pki: PKI) -> None:
        """200 names under 200 subtrees (40,000 checks) are judged as usual: no limit."""
        constraints = x509.NameConstraints(
            [*many_names(199, "p{}.example"), x509.DNSName("example.org")], None
        )
        root = pki.root("Busy Root", name_constraints=constraints)
        leaf = pki.leaf(root, *(f"h{i}.example.org" for i in range(199)), "h.evil.org")
        found = judge((leaf.cert, root.cert))
        assert {(f.code.value, f.severity.value) for f in found} == {("name-constraints", "error")}
        assert "h.evil.org" in found[0].message
