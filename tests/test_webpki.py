"""
The web PKI in strict mode: the x509-limbo families certchain's 2023 corpus lacks.

Each class follows one family of C2SP/x509-limbo (its ``limbo/testcases/``),
rebuilt from our own PKI factory: strict mode gives the web PKI's verdict
(the ``webpki::`` case where limbo's families conflict), the default mode
gives OpenSSL's.  Every class also runs the real CLI once.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.x509.oid import NameOID
from pki import PKI, T0, T0_ISO, Issued, new_key

from certchain import BuildResult, Material, Policy, TrustStore, build_chain, load_bytes
from certchain.cli import ExitCode, main

UTC = dt.timezone.utc

# ----------------------------------------------------------------- helpers


def build(
    leaf: Issued, *others: Issued, root: Issued, strict: bool = True,
    hostname: str | None = None, at: dt.datetime = T0,
) -> BuildResult:
    """Build *leaf* with *others* as candidates and *root* as the only --trust anchor."""
    pile = b"".join(other.pem for other in others)
    return build_chain(
        load_bytes(leaf.pem),
        load_bytes(pile) if pile else Material(),
        policy=Policy(
            store=TrustStore((root.cert,), "test root", explicit=True),
            at=at, hostname=hostname, strict=strict,
        ),
    )


def _dn(text: str) -> x509.Name:
    return x509.Name.from_rfc4514_string(text)


def errors(result: BuildResult) -> list[str]:
    """Return the messages of the error findings."""
    return [f.message for f in result.findings if f.severity.value == "error"]


def assert_accepted(result: BuildResult) -> None:
    assert result.ok, errors(result)


def assert_refused(result: BuildResult, *quoted: str) -> None:
    """Assert an error finding quotes every string in *quoted*."""
    assert not result.ok
    assert any(all(q in message for q in quoted) for message in errors(result)), errors(result)


def cli_build(
    runner: CliRunner, tmp_path: Path, leaf: Issued, *others: Issued, root: Issued,
    options: tuple[str, ...] = ("--strict",), at: str = T0_ISO,
) -> tuple[int, dict[str, Any]]:
    """Run ``certchain build host.crt OTHERS --trust root.crt --at AT --json OPTIONS``."""
    host = leaf.write(tmp_path / "host.crt")
    inputs = [o.write(tmp_path / f"ca{n}.crt") for n, o in enumerate(others)]
    anchor = root.write(tmp_path / "root.crt")
    argv = ["build", str(host), *map(str, inputs), "--trust", str(anchor), "--at", at,
            "--json", "-o", str(tmp_path / "out.crt"), *options]
    result = runner.invoke(main, argv)
    return result.exit_code, json.loads(result.stdout)


def strict_errors(report: dict[str, Any]) -> list[str]:
    """Return the messages of the strict-policy errors of a ``--json`` report."""
    return [f["message"] for f in report["findings"]
            if f["code"] == "strict-policy" and f["severity"] == "error"]


def assert_cli_refused(code: int, report: dict[str, Any], rule: str) -> None:
    """Assert a ``--json`` run exited 1 with a strict-policy error naming *rule*."""
    assert code == ExitCode.CHAIN_PROBLEM, report
    assert any(rule in m for m in strict_errors(report)), report


@pytest.fixture(scope="module")
def ca(pki: PKI) -> tuple[Issued, Issued]:
    """A root and an intermediate, shared by the tests that only vary the leaf."""
    root = pki.root()
    return root, pki.intermediate(root)


# ------------------------------------------------------------ webpki::cn::*


class TestCommonName:
    """webpki::cn::*: CA/B Forum BR 7.1.4.3, the CN is a copy of one SAN."""

    @pytest.mark.parametrize(
        ("cn", "host"),
        [
            ("0xC0A80101", "192.168.1.1"),  # cabf-cn-ipv4-hex-mismatch
            ("192.168.001.001", "192.168.1.1"),  # cabf-cn-ipv4-leading-zeros-mismatch
            ("2001:DB8::8A2E:370:7334", "2001:db8::8a2e:370:7334"),  # ...-ipv6-uppercase
            ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),  # ...-uncompressed
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  # cabf-cn-ipv6-non-rfc5952
            ("xn--nxasmq6b.com", "xn--n3h.com"),  # cabf-cn-punycode-not-in-san
            ("test-測試.com", "xn--test--wg5h0h.com"),  # cabf-cn-utf8-vs-punycode
            ("notinsan.example.com", "valid.example.com"),  # cabf-cn-not-in-san
            ("Example.COM", "example.com"),  # cabf-cn-case-mismatch
        ],
    )
    def test_cn_not_a_copy_of_a_san_is_refused_in_strict_mode(
        self, pki: PKI, ca: tuple[Issued, Issued], cn: str, host: str
    ) -> None:
        """A CN that is not character for character one of the SANs is a strict error only."""
        root, inter = ca
        leaf = pki.leaf(inter, host, cn=cn)

        assert_refused(build(leaf, inter, root=root, hostname=host), "BR 7.1.4.3", repr(cn))
        assert_accepted(build(leaf, inter, root=root, hostname=host, strict=False))

    @pytest.mark.parametrize(
        ("cn", "host"),
        [("hub.example.org", "hub.example.org"), ("*.example.org", "*.example.org"),
         ("2001:db8::1", "2001:db8::1"), ("192.0.2.7", "192.0.2.7")],
    )
    def test_cn_copied_from_a_san_is_accepted(
        self, pki: PKI, ca: tuple[Issued, Issued], cn: str, host: str
    ) -> None:
        """A CN equal to a DNS SAN, or to an IP SAN in its canonical text, passes strict mode."""
        root, inter = ca
        leaf = pki.leaf(inter, host, cn=cn)

        assert_accepted(build(leaf, inter, root=root))

    def test_cn_that_names_no_host_is_not_judged(
        self, pki: PKI, ca: tuple[Issued, Issued]
    ) -> None:
        """A CN that is no host name or address (limbo's own CN=x509-limbo-ee) passes strict mode."""
        root, inter = ca
        leaf = pki.leaf(inter, "hub.example.org", cn="x509-limbo-ee")

        assert_accepted(build(leaf, inter, root=root))

    def test_leaf_without_cn_is_accepted(self, pki: PKI, ca: tuple[Issued, Issued]) -> None:
        """A leaf with an empty subject (and a critical SAN, RFC 5280 4.2.1.6) has no CN."""
        root, inter = ca
        leaf = pki.leaf(inter, "hub.example.org", subject=x509.Name([]), san_critical=True)

        assert_accepted(build(leaf, inter, root=root))

    def test_two_cns_are_refused(self, pki: PKI, ca: tuple[Issued, Issued]) -> None:
        """BR 7.1.4.3 allows exactly one CN, even if both are SANs."""
        root, inter = ca
        cn = NameOID.COMMON_NAME
        subject = x509.Name([x509.NameAttribute(cn, "a.example.org"),
                             x509.NameAttribute(cn, "b.example.org")])
        leaf = pki.leaf(inter, "a.example.org", "b.example.org", subject=subject)

        assert_refused(build(leaf, inter, root=root), "2 common names", "BR 7.1.4.3")

    def test_cli(self, runner: CliRunner, tmp_path: Path, pki: PKI,
                 ca: tuple[Issued, Issued]) -> None:
        """``build --strict`` exits 1 on a case-mismatched CN and names BR 7.1.4.3."""
        root, inter = ca
        leaf = pki.leaf(inter, "example.com", cn="Example.COM")

        code, report = cli_build(runner, tmp_path, leaf, inter, root=root)

        assert_cli_refused(code, report, "BR 7.1.4.3")


# ------------------------------------------------------- webpki::forbidden-rsa-*


class TestForbiddenRsa:
    """webpki::forbidden-rsa-*-not-divisable-by-8-*: BR 6.1.5, whole-byte RSA moduli."""

    @pytest.fixture(scope="class")
    @classmethod
    def odd_key(cls) -> Any:
        """An RSA key of 2052 bits: over 2048, but not a multiple of 8."""
        return new_key("rsa2052")

    def test_leaf_key_is_refused_in_strict_mode(
        self, pki: PKI, ca: tuple[Issued, Issued], odd_key: Any
    ) -> None:
        """A leaf with a 2052-bit RSA key is a strict error, and fine for OpenSSL."""
        root, inter = ca
        leaf = pki.leaf(inter, key=odd_key)

        assert_refused(build(leaf, inter, root=root), "2052 bits", "BR 6.1.5")
        assert_accepted(build(leaf, inter, root=root, strict=False))

    def test_root_key_is_refused_in_strict_mode(self, pki: PKI, odd_key: Any) -> None:
        """A root with a 2052-bit RSA key is a strict error too (it signs with it)."""
        root = pki.root(key=odd_key)
        leaf = pki.leaf(root)

        assert_refused(build(leaf, root=root), "root", "2052 bits")
        assert_accepted(build(leaf, root=root, strict=False))

    def test_whole_byte_rsa_key_is_accepted(self, pki: PKI, ca: tuple[Issued, Issued]) -> None:
        """A 2048-bit RSA key passes strict mode."""
        root, inter = ca
        assert_accepted(build(pki.leaf(inter, key=new_key("rsa")), inter, root=root))

    def test_cli(self, runner: CliRunner, tmp_path: Path, pki: PKI, odd_key: Any) -> None:
        """``build --strict`` exits 1 on a 2052-bit RSA root and names BR 6.1.5."""
        root = pki.root(key=odd_key)

        code, report = cli_build(runner, tmp_path, pki.leaf(root), root=root)

        assert_cli_refused(code, report, "BR 6.1.5")


# ------------------------------------------------- webpki::san::public-suffix-*


class TestPublicSuffixWildcard:
    """webpki::san::public-suffix-wildcard-san: BR 3.2.2.6, no wildcard over a public suffix."""

    @pytest.mark.parametrize("pattern", ["*.com", "*.uk", "*"])
    def test_wildcard_over_a_tld_is_refused_in_strict_mode(
        self, pki: PKI, ca: tuple[Issued, Issued], pattern: str
    ) -> None:
        """A leaf for ``*.com`` is a strict error even with no --hostname, and fine for OpenSSL."""
        root, inter = ca
        leaf = pki.leaf(inter, san=[x509.DNSName(pattern)], cn=pattern)

        assert_refused(build(leaf, inter, root=root), pattern, "BR 3.2.2.6")
        assert_accepted(build(leaf, inter, root=root, strict=False))

    def test_hostname_under_a_tld_wildcard_never_matches(
        self, pki: PKI, ca: tuple[Issued, Issued]
    ) -> None:
        """``*.com`` does not cover example.com in either mode (the limbo case's peer name)."""
        root, inter = ca
        leaf = pki.leaf(inter, san=[x509.DNSName("*.com")], cn="*.com")

        for strict in (True, False):
            result = build(leaf, inter, root=root, hostname="example.com", strict=strict)
            assert_refused(result, "does not cover example.com")

    def test_wildcard_under_a_registered_domain_is_accepted(
        self, pki: PKI, ca: tuple[Issued, Issued]
    ) -> None:
        """``*.example.org`` passes strict mode."""
        root, inter = ca
        leaf = pki.leaf(inter, "*.example.org")

        assert_accepted(build(leaf, inter, root=root, hostname="hub.example.org"))

    def test_cli(self, runner: CliRunner, tmp_path: Path, pki: PKI,
                 ca: tuple[Issued, Issued]) -> None:
        """``build --strict`` exits 1 on a ``*.com`` leaf and names BR 3.2.2.6."""
        root, inter = ca
        leaf = pki.leaf(inter, san=[x509.DNSName("*.com")], cn="*.com")

        code, report = cli_build(runner, tmp_path, leaf, inter, root=root)

        assert_cli_refused(code, report, "BR 3.2.2.6")


# ------------------------------------------------ webpki::eku::ee-without-eku


class TestLeafWithoutEku:
    """webpki::eku::ee-without-eku (conflicts with rfc5280::eku::ee-without-eku)."""

    def test_refused_in_strict_mode_accepted_by_default(
        self, pki: PKI, ca: tuple[Issued, Issued]
    ) -> None:
        """A leaf without EKU is a strict error (BR 7.1.2.7.6); OpenSSL accepts it."""
        root, inter = ca
        leaf = pki.leaf(inter, eku=None)

        assert_refused(build(leaf, inter, root=root), "no extended key usage", "BR 7.1.2.7.6")
        assert_accepted(build(leaf, inter, root=root, strict=False))

    def test_cli(self, runner: CliRunner, tmp_path: Path, pki: PKI,
                 ca: tuple[Issued, Issued]) -> None:
        """``build --strict`` exits 1 on a leaf without EKU; without --strict it exits 0."""
        root, inter = ca
        leaf = pki.leaf(inter, eku=None)

        strict_code, report = cli_build(runner, tmp_path, leaf, inter, root=root)
        default_code, _ = cli_build(runner, tmp_path, leaf, inter, root=root,
                                    options=("--force",))

        assert strict_code == ExitCode.CHAIN_PROBLEM
        assert any("BR 7.1.2.7.6" in m for m in strict_errors(report)), report
        assert default_code == ExitCode.OK


# ---------------------------------------------------------- rfc5280::pc::*


class TestPolicyConstraints:
    """rfc5280::pc::ica-noncritical-pc: RFC 5280 4.2.1.11, policy constraints are critical."""

    POLICY = x509.PolicyConstraints(require_explicit_policy=3, inhibit_policy_mapping=None)

    def test_noncritical_is_refused_in_strict_mode(self, pki: PKI) -> None:
        """An intermediate with non-critical policy constraints is a strict error only."""
        root = pki.root()
        inter = pki.intermediate(root, extra_extensions=[(self.POLICY, False)])
        leaf = pki.leaf(inter)

        assert_refused(build(leaf, inter, root=root), "Intermediate 1", "RFC 5280 4.2.1.11")
        assert_accepted(build(leaf, inter, root=root, strict=False))

    def test_critical_raises_no_such_objection(self, pki: PKI) -> None:
        """Critical policy constraints break no RFC 5280 4.2.1.11 rule (OpenSSL accepts them)."""
        root = pki.root()
        inter = pki.intermediate(root, extra_extensions=[(self.POLICY, True)])
        leaf = pki.leaf(inter)

        assert not any("4.2.1.11" in m for m in errors(build(leaf, inter, root=root)))
        assert_accepted(build(leaf, inter, root=root, strict=False))

    def test_cli(self, runner: CliRunner, tmp_path: Path, pki: PKI) -> None:
        """``build --strict`` exits 1 on non-critical policy constraints."""
        root = pki.root()
        inter = pki.intermediate(root, extra_extensions=[(self.POLICY, False)])

        code, report = cli_build(runner, tmp_path, pki.leaf(inter), inter, root=root)

        assert_cli_refused(code, report, "RFC 5280 4.2.1.11")


# ------------------------------------------------ rfc5280::nc::permitted-dn-*


def _dn_constraint(permitted: str) -> x509.NameConstraints:
    return x509.NameConstraints(
        permitted_subtrees=[x509.DirectoryName(_dn(permitted))], excluded_subtrees=None
    )


class TestDirectoryNameConstraints:
    """rfc5280::nc::permitted-dn-*: directoryName constraints (RFC 5280 4.2.1.10)."""

    INSIDE = "CN=hub.example.org,O=certchain tests"
    OUTSIDE = "CN=hub.example.org,O=elsewhere"

    @pytest.fixture(scope="class")
    @classmethod
    def constrained(cls, pki: PKI) -> tuple[Issued, Issued]:
        """A root and an intermediate that permits only O=certchain tests."""
        root = pki.root()
        return root, pki.intermediate(root, name_constraints=_dn_constraint("O=certchain tests"))

    def test_subject_inside_is_accepted_in_both_modes(
        self, pki: PKI, constrained: tuple[Issued, Issued]
    ) -> None:
        """A leaf whose subject is inside the permitted directoryName passes strict mode too."""
        root, inter = constrained
        leaf = pki.leaf(inter, subject=_dn(self.INSIDE))

        assert_accepted(build(leaf, inter, root=root))
        assert_accepted(build(leaf, inter, root=root, strict=False))

    def test_constraint_in_the_root_is_followed_too(self, pki: PKI) -> None:
        """A root carrying the directoryName constraint (as limbo's cases do) is followed too."""
        root = pki.root(name_constraints=_dn_constraint("O=certchain tests"))
        inter = pki.intermediate(root)
        leaf = pki.leaf(inter, subject=_dn(self.INSIDE))

        assert_accepted(build(leaf, inter, root=root))

    @pytest.mark.parametrize(
        "san",
        [
            None,  # rfc5280::nc::permitted-dn-mismatch
            # permitted-dn-match-subject-san-mismatch: the subject is checked, not just the SAN.
            [x509.DNSName("hub.example.org"), x509.DirectoryName(_dn(INSIDE))],
        ],
    )
    def test_subject_outside_is_refused_in_both_modes(
        self, pki: PKI, constrained: tuple[Issued, Issued], san: list[x509.GeneralName] | None
    ) -> None:
        """A subject outside the permitted directoryName is a name-constraints error."""
        root, inter = constrained
        knobs = {"san": san} if san else {}
        leaf = pki.leaf(inter, subject=_dn(self.OUTSIDE), **knobs)

        for strict in (True, False):
            assert_refused(build(leaf, inter, root=root, strict=strict), "permitted subtrees")

    def test_leaf_rules_still_apply_below_the_constraint(
        self, pki: PKI, constrained: tuple[Issued, Issued]
    ) -> None:
        """cryptography still judges the leaf below such a CA (here: a critical SAN)."""
        root, inter = constrained
        leaf = pki.leaf(inter, subject=_dn(self.INSIDE), san_critical=True)

        assert_refused(build(leaf, inter, root=root), "subjectAltName MUST NOT be critical")

    def test_cli(self, runner: CliRunner, tmp_path: Path, pki: PKI,
                 constrained: tuple[Issued, Issued]) -> None:
        """``build --strict`` exits 0 below a directoryName-constrained intermediate."""
        root, inter = constrained
        leaf = pki.leaf(inter, subject=_dn(self.INSIDE))

        code, report = cli_build(runner, tmp_path, leaf, inter, root=root)

        assert code == ExitCode.OK, report
        assert not strict_errors(report)


# --------------------------------------------------- rfc5280::nc::*-noncritical


class TestNoncriticalNameConstraints:
    """rfc5280::nc::*-noncritical, against webpki::nc::permitted-dns-match-noncritical."""

    @staticmethod
    def constraint(permitted: str) -> x509.NameConstraints:
        return x509.NameConstraints(permitted_subtrees=[x509.DNSName(permitted)],
                                    excluded_subtrees=None)

    def test_noncritical_constraint_is_accepted(self, pki: PKI) -> None:
        """The web PKI (BR 7.1.2.5.2) accepts a non-critical name constraint, as OpenSSL does."""
        root = pki.root()
        inter = pki.intermediate(root, name_constraints=self.constraint("example.org"),
                                 name_constraints_critical=False)
        leaf = pki.leaf(inter)

        assert_accepted(build(leaf, inter, root=root))
        assert_accepted(build(leaf, inter, root=root, strict=False))

    def test_noncritical_constraint_is_still_enforced(self, pki: PKI) -> None:
        """A non-critical name constraint still binds: a name outside it is refused."""
        root = pki.root()
        inter = pki.intermediate(root, name_constraints=self.constraint("example.net"),
                                 name_constraints_critical=False)
        leaf = pki.leaf(inter)

        for strict in (True, False):
            assert_refused(build(leaf, inter, root=root, strict=strict), "permitted subtrees")

    @pytest.mark.parametrize("critical", [False, True])
    def test_constraint_in_the_leaf_is_refused_in_strict_mode(
        self, pki: PKI, ca: tuple[Issued, Issued], critical: bool
    ) -> None:
        """rfc5280::nc::not-allowed-in-ee-*: only a CA may carry name constraints (strict only)."""
        root, inter = ca
        leaf = pki.leaf(
            inter, extra_extensions=[(self.constraint("example.org"), critical)]
        )

        assert_refused(build(leaf, inter, root=root), "prohibited extension")
        assert_accepted(build(leaf, inter, root=root, strict=False))

    def test_cli(self, runner: CliRunner, tmp_path: Path, pki: PKI) -> None:
        """``build --strict`` exits 0 with a non-critical name constraint the leaf satisfies."""
        root = pki.root()
        inter = pki.intermediate(root, name_constraints=self.constraint("example.org"),
                                 name_constraints_critical=False)

        code, report = cli_build(runner, tmp_path, pki.leaf(inter), inter, root=root)

        assert code == ExitCode.OK, report


# ---------------------------------------------- rfc5280::validity::notafter-fractional


class TestNotAfterFractional:
    """rfc5280::validity::notafter-fractional: validity is compared in whole seconds."""

    NOT_AFTER = dt.datetime(2030, 6, 1, 12, 0, 0, tzinfo=UTC)

    @pytest.fixture(scope="class")
    @classmethod
    def chain(cls, pki: PKI) -> tuple[Issued, Issued, Issued]:
        root = pki.root()
        inter = pki.intermediate(root)
        return root, inter, pki.leaf(inter, not_after=cls.NOT_AFTER)

    @pytest.mark.parametrize("strict", [True, False])
    @pytest.mark.parametrize(
        ("after", "valid"),
        [(dt.timedelta(milliseconds=5), True), (dt.timedelta(seconds=1), False)],
    )
    def test_within_not_afters_second_is_still_valid(
        self, chain: tuple[Issued, Issued, Issued], strict: bool, after: dt.timedelta,
        valid: bool,
    ) -> None:
        """notAfter + 5 ms is within notAfter's second (RFC 5280 4.1.2.5); + 1 s is expired."""
        root, inter, leaf = chain
        result = build(leaf, inter, root=root, at=self.NOT_AFTER + after, strict=strict)

        if valid:
            assert_accepted(result)
        else:
            assert_refused(result, "expired")

    def test_cli(self, runner: CliRunner, tmp_path: Path,
                 chain: tuple[Issued, Issued, Issued]) -> None:
        """``build --strict --at 2030-06-01T12:00:00.005Z`` accepts a leaf expiring at 12:00:00."""
        root, inter, leaf = chain

        code, report = cli_build(runner, tmp_path, leaf, inter, root=root,
                                 at="2030-06-01T12:00:00.005Z")

        assert code == ExitCode.OK, report


# ------------------------------------------------------- rfc5280::ca-as-leaf


def _ca_usage(*, digital_signature: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature, content_commitment=False,
        key_encipherment=False, data_encipherment=False, key_agreement=False,
        key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
    )


def _ca_leaf(pki: PKI, issuer: Issued) -> Issued:
    """A CA certificate for hub.example.org that OpenSSL would serve (digitalSignature)."""
    return pki.issue(_dn("CN=hub.example.org"), new_key(), issuer, ca=True,
                     key_usage=_ca_usage(digital_signature=True),
                     san=[x509.DNSName("hub.example.org")])


class TestCaAsLeaf:
    """rfc5280::ca-as-leaf (success) against webpki::ca-as-leaf (failure)."""

    def test_ca_leaf_is_refused_in_strict_mode(self, pki: PKI, ca: tuple[Issued, Issued]) -> None:
        """A CA certificate as the leaf is a strict error naming BR 7.1.2.7.8."""
        root, inter = ca
        leaf = _ca_leaf(pki, inter)

        assert_refused(build(leaf, inter, root=root), "leaf is a CA", "BR 7.1.2.7.8")

    def test_ca_leaf_that_can_sign_tls_is_accepted_by_default(
        self, pki: PKI, ca: tuple[Issued, Issued]
    ) -> None:
        """OpenSSL serves a CA certificate with digitalSignature; so does default mode."""
        root, inter = ca
        assert_accepted(build(_ca_leaf(pki, inter), inter, root=root, strict=False))

    def test_limbo_shape_is_refused_in_both_modes(
        self, pki: PKI, ca: tuple[Issued, Issued]
    ) -> None:
        """limbo's CA leaf has only keyCertSign, which OpenSSL's sslserver purpose refuses."""
        root, inter = ca
        leaf = pki.intermediate(inter, cn="ca.example.com", key_usage=_ca_usage(
            digital_signature=False), san=[x509.DNSName("ca.example.com")])

        assert_refused(build(leaf, inter, root=root, strict=False), "keyUsage")
        assert_refused(build(leaf, inter, root=root), "keyUsage")

    def test_cli(self, runner: CliRunner, tmp_path: Path, pki: PKI,
                 ca: tuple[Issued, Issued]) -> None:
        """``build --strict`` exits 1 on a CA leaf and names BR 7.1.2.7.8."""
        root, inter = ca

        code, report = cli_build(runner, tmp_path, _ca_leaf(pki, inter), inter, root=root)

        assert_cli_refused(code, report, "BR 7.1.2.7.8")


# ------------------------------------------ pathlen::validation-ignores-pathlen-in-leaf


class TestPathlenInLeaf:
    """pathlen::validation-ignores-pathlen-in-leaf: root -> CA (pathlen 0) -> CA as the leaf."""

    @pytest.fixture(scope="class")
    @classmethod
    def chain(cls, pki: PKI) -> tuple[Issued, Issued, Issued]:
        root = pki.root()
        first = pki.intermediate(root, path_length=0)
        leaf = pki.intermediate(first, cn="hub.example.org", path_length=0,
                                key_usage=_ca_usage(digital_signature=True),
                                san=[x509.DNSName("hub.example.org")])
        return root, first, leaf

    def test_leaf_does_not_count_against_pathlen_by_default(
        self, chain: tuple[Issued, Issued, Issued]
    ) -> None:
        """RFC 5280 4.2.1.9 and OpenSSL: the last certificate is no intermediate."""
        root, first, leaf = chain
        assert_accepted(build(leaf, first, root=root, strict=False))

    def test_ca_leaf_is_refused_in_strict_mode(
        self, chain: tuple[Issued, Issued, Issued]
    ) -> None:
        """Strict mode refuses it for being a CA leaf (BR 7.1.2.7.8), not for its pathlen."""
        root, first, leaf = chain
        result = build(leaf, first, root=root)

        assert_refused(result, "leaf is a CA", "BR 7.1.2.7.8")
        assert not any("path" in m.lower() and "length" in m.lower() for m in errors(result))

    def test_cli(self, runner: CliRunner, tmp_path: Path,
                 chain: tuple[Issued, Issued, Issued]) -> None:
        """``build --strict`` exits 1 and names BR 7.1.2.7.8."""
        root, first, leaf = chain

        code, report = cli_build(runner, tmp_path, leaf, first, root=root)

        assert_cli_refused(code, report, "BR 7.1.2.7.8")


# ------------------------------------------------ pathlen::self-issued-certs-pathlen


class TestSelfIssuedPathlen:
    """pathlen::self-issued-certs-pathlen: RFC 5280 4.2.1.9 does not count self-issued CAs."""

    @pytest.fixture(scope="class")
    @classmethod
    def chain(cls, pki: PKI) -> tuple[Issued, ...]:
        """root -> ICA' (pathlen 1) -> ICA' again, new key (pathlen 1) -> ICA'' (0) -> leaf."""
        root = pki.root()
        first = pki.intermediate(root, cn="Rollover CA", path_length=1)
        rolled = pki.intermediate(first, cn="Rollover CA", path_length=1)
        last = pki.intermediate(rolled, cn="Issuing CA", path_length=0)
        return root, first, rolled, last

    def test_accepted_in_both_modes(self, pki: PKI, chain: tuple[Issued, ...]) -> None:
        """The self-issued key-rollover certificate does not use up ICA's pathlen, strict or not."""
        root, first, rolled, last = chain
        leaf = pki.leaf(last)

        result = build(leaf, first, rolled, last, root=root)
        assert_accepted(result)
        assert [c.subject for c in result.chain[1:4]] == [
            last.cert.subject, rolled.cert.subject, first.cert.subject]
        assert_accepted(build(leaf, first, rolled, last, root=root, strict=False))

    def test_leaf_rules_still_apply_above_a_rollover(
        self, pki: PKI, chain: tuple[Issued, ...]
    ) -> None:
        """cryptography still judges the leaf on such a path (here: a critical SAN)."""
        root, first, rolled, last = chain
        leaf = pki.leaf(last, san_critical=True)

        assert_refused(build(leaf, first, rolled, last, root=root),
                       "subjectAltName MUST NOT be critical")

    def test_a_real_pathlen_violation_is_still_refused(self, pki: PKI) -> None:
        """A CA that is not self-issued still counts: pathlen 0 above another CA is refused."""
        root = pki.root()
        first = pki.intermediate(root, path_length=0)
        second = pki.intermediate(first, cn="Other CA")

        for strict in (True, False):
            assert_refused(build(pki.leaf(second), first, second, root=root, strict=strict),
                           "pathLenConstraint")

    def test_cli(self, runner: CliRunner, tmp_path: Path, pki: PKI,
                 chain: tuple[Issued, ...]) -> None:
        """``build --strict`` exits 0 through a self-issued key-rollover certificate."""
        root, first, rolled, last = chain

        code, report = cli_build(runner, tmp_path, pki.leaf(last), first, rolled, last,
                                 root=root)

        assert code == ExitCode.OK, report


# ----------------------------------------------------------- cve::cve-2024-0567


class TestCve20240567:
    """cve::cve-2024-0567: leaf -> A1 -> A, with A, B and C cross-signing each other."""

    @pytest.fixture(scope="class")
    @classmethod
    def mesh(cls, pki: PKI) -> tuple[Issued, Issued, list[Issued]]:
        """Return (root A, leaf, the intermediates): A trusted, as limbo has it."""
        usage = x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True,
            crl_sign=False, encipher_only=False, decipher_only=False,
        )
        # limbo's Root A is self-signed with a subject that differs from its
        # issuer name (CN=x509-limbo-root), and has no AKI.
        root_a = pki.issue(_dn("CN=Root A"), new_key(), None, ca=True, key_usage=usage,
                           issuer_name=_dn("CN=x509-limbo-root"), include_aki=False)
        # B and C sign with their keys; their self-signed stand-ins are never given.
        signer = {"A": root_a, **{n: pki.issue(_dn(f"CN=Root {n}"), new_key(), None, ca=True)
                                  for n in "BC"}}
        keys = {n: issued.key for n, issued in signer.items()}

        def ca(subject: str, key: Any, by: str) -> Issued:
            return pki.issue(_dn(f"CN={subject}"), key, signer[by], ca=True, key_usage=usage,
                             issuer_name=_dn(f"CN=Root {by}"))

        a1 = ca("Intermediate A1", new_key(), "A")
        mesh = [a1, ca("Intermediate B1", new_key(), "B"), ca("Intermediate C1", new_key(), "C")]
        for subject in "ABC":
            mesh += [ca(f"Root {subject}", keys[subject], by) for by in "ABC" if by != subject]
        leaf = pki.leaf(a1, "cve-2024-0567.example.com", subject=x509.Name([]),
                        san_critical=True)
        return root_a, leaf, mesh

    @pytest.mark.parametrize("strict", [True, False])
    def test_path_through_the_mesh_is_found(
        self, mesh: tuple[Issued, Issued, list[Issued]], strict: bool
    ) -> None:
        """The path leaf -> A1 -> Root A is built and accepted, strict or not."""
        root_a, leaf, others = mesh

        result = build(leaf, *others, root=root_a, hostname="cve-2024-0567.example.com",
                       strict=strict)

        assert_accepted(result)
        assert [c.subject for c in result.chain] == [
            x509.Name([]), _dn("CN=Intermediate A1"), _dn("CN=Root A")]

    def test_cli(self, runner: CliRunner, tmp_path: Path,
                 mesh: tuple[Issued, Issued, list[Issued]]) -> None:
        """``build --strict --hostname cve-2024-0567.example.com`` exits 0."""
        root_a, leaf, others = mesh

        code, report = cli_build(runner, tmp_path, leaf, *others, root=root_a, options=(
            "--strict", "--hostname", "cve-2024-0567.example.com"))

        assert code == ExitCode.OK, report
