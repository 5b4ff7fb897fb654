"""
``sitecheck.judge_site``: one site's chain, key, names and files, judged as its server uses them.

Sites are built by hand (no configuration read); their files come from
tests/sitekit.py.  Every judgement is made at ``T0``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from pki import PKI, T0, key_pem
from sitekit import EXPECTED, SITES, SiteSet, make_sites

from certchain import Policy, store_from_paths
from certchain.findings import Code, Severity
from certchain.sitecheck import judge_site
from certchain.sites import Site, SiteResult, Where

PASSWORD = b"site-password-2291"


@pytest.fixture(scope="module")
def six(pki: PKI, tmp_path_factory: pytest.TempPathFactory) -> SiteSet:
    """The six sites' files (shared, read-only)."""
    return make_sites(pki, tmp_path_factory.mktemp("six"))


def policy(sites: SiteSet) -> Policy:
    return Policy(store=store_from_paths([sites.root]), at=T0)


def site_for(sites: SiteSet, name: str, server: str = "nginx", **fields: object) -> Site:
    """The nginx site *name* of *sites*: its chain and key files, serving its host."""
    files = sites[name]
    where = Where(sites.folder / "nginx.conf", 7)
    defaults: dict[str, object] = {
        "chain": files.chain, "key": files.key, "names": (files.host,), "where": where,
        "key_where": Where(where.file, 8), "names_where": Where(where.file, 6),
        "directive": "ssl_certificate",
    }
    defaults.update(fields)
    return Site(server, files.host, **defaults)  # type: ignore[arg-type]


def codes(result: SiteResult) -> dict[str, str]:
    return {f.code.value: f.severity.value for f in result.report.findings}


class TestSixSites:
    @pytest.mark.parametrize("name", SITES)
    def test_each_site(self, six: SiteSet, name: str) -> None:
        """Each of the six sites gets its own finding as an error, and the good one none."""
        result = judge_site(site_for(six, name), policy=policy(six))

        expected = EXPECTED[name]
        if expected is None:
            assert {} == codes(result)
            assert result.ok
        else:
            assert "error" == codes(result)[expected]
            assert not result.ok

    def test_hostname_mismatch_names_site_and_name(self, six: SiteSet) -> None:
        """hostname-mismatch names the site, the name it serves and where that name is given."""
        result = judge_site(site_for(six, "uncovered"), policy=policy(six))

        (found,) = [f for f in result.report.findings if f.code is Code.HOSTNAME_MISMATCH]
        assert "Site uncovered.example.org serves uncovered.example.org" in found.message
        assert f"server_name, {six.folder / 'nginx.conf'}:6" in found.message
        assert "other.example.org" in found.message
        assert 0 == found.position

    def test_report_source_is_the_configuration(self, six: SiteSet) -> None:
        """The report names the configuration file where the site's certificate is named."""
        result = judge_site(site_for(six, "good"), policy=policy(six))

        assert six.folder / "nginx.conf" == result.report.source
        assert result.report.key is not None


class TestNames:
    @pytest.mark.parametrize(("names", "ok"), [
        (("good.example.org",), True),
        (("GOOD.example.org",), True),
        (("*.example.org",), False),
        (("good.example.org", "www.good.example.org"), False),
    ])
    def test_every_name_must_be_covered(
        self, six: SiteSet, names: tuple[str, ...], ok: bool
    ) -> None:
        """Every name a site serves is checked, a wildcard name as any label under it."""
        result = judge_site(site_for(six, "good", names=names), policy=policy(six))

        assert ok == result.ok

    def test_wildcard_certificate_covers_wildcard_name(self, pki: PKI, tmp_path: Path) -> None:
        """A *.example.org certificate covers a site serving *.example.org."""
        root = pki.root()
        leaf = pki.leaf(root, "*.example.org")
        chain = tmp_path / "w.crt"
        chain.write_bytes(leaf.pem)
        key = tmp_path / "w.key"
        key.write_bytes(leaf.key_pem)
        key.chmod(0o600)
        site = Site("nginx", "w", chain, key, names=("*.example.org", "a.example.org"))

        result = judge_site(site, policy=Policy(store=store_from_paths([
            root.write(tmp_path / "r.crt")]), at=T0))

        assert result.ok, result.report.findings


class TestFiles:
    def test_missing_chain_file(self, six: SiteSet) -> None:
        """A certificate file that does not exist names the site, the directive and its line."""
        site = site_for(six, "good", chain=six.folder / "nope.crt")

        result = judge_site(site, policy=policy(six))

        (found,) = [f for f in result.report.findings if f.code is Code.FILE_NOT_FOUND]
        assert found.message.startswith(
            f"Site good.example.org: ssl_certificate ({six.folder / 'nginx.conf'}:7) names"
        )
        assert "nginx will not start" in found.message
        assert () == result.report.chain

    def test_key_permissions(self, six: SiteSet, tmp_path: Path) -> None:
        """A key readable by others is key-permissions, naming the site and chmod 600."""
        key = tmp_path / "open.key"
        key.write_bytes(six["good"].key.read_bytes())
        key.chmod(0o644)

        result = judge_site(site_for(six, "good", key=key), policy=policy(six))

        assert "warning" == codes(result)["key-permissions"]
        assert f"chmod 600 {key}" in result.report.findings[0].message
        assert result.ok

    def test_combined_file_for_nginx(self, six: SiteSet) -> None:
        """nginx may read the key from the certificate file: accepted, and checked private."""
        site = site_for(six, "good", chain=six["good"].combined, key=None)

        result = judge_site(site, policy=policy(six))

        assert {} == codes(result)
        assert result.report.key is not None

    def test_combined_file_for_jupyterhub(self, six: SiteSet) -> None:
        """JupyterHub's ssl_cert holding the key stays unreadable-by-server."""
        site = site_for(six, "good", server="jupyterhub", chain=six["good"].combined,
                        directive="c.JupyterHub.ssl_cert")

        result = judge_site(site, policy=policy(six))

        assert "error" == codes(result)["unreadable-by-server"]

    def test_no_key_at_all(self, six: SiteSet) -> None:
        """A certificate file without a key, and no key file, is ssl-not-set (the server stops)."""
        result = judge_site(site_for(six, "good", server="haproxy", key=None),
                            policy=policy(six))

        assert "error" == codes(result)["ssl-not-set"]

    def test_haproxy_prefers_the_key_inside(self, six: SiteSet) -> None:
        """HAProxy's FILE.key is read only when FILE holds no key."""
        site = site_for(six, "good", server="haproxy", chain=six["good"].combined,
                        key=six["mismatch"].key, key_if_missing=True)

        result = judge_site(site, policy=policy(six))

        assert {} == codes(result)

    def test_apache_chain_file(self, six: SiteSet, tmp_path: Path) -> None:
        """Apache sends SSLCertificateChainFile after the certificate file: the path completes."""
        leaf = tmp_path / "leaf.crt"
        leaf.write_bytes(six["good"].leaf.pem)
        inter = tmp_path / "inter.crt"
        inter.write_bytes(six["good"].chain.read_bytes()[len(six["good"].leaf.pem):])
        site = site_for(six, "good", server="apache", chain=leaf, extra_chain=inter,
                        directive="SSLCertificateFile")

        result = judge_site(site, policy=policy(six))

        assert result.ok, result.report.findings
        assert 2 == len(result.report.chain)
        assert not judge_site(replace(site, extra_chain=None), policy=policy(six)).ok

    def test_apache_chain_file_replaces_the_intermediates(
        self, six: SiteSet, tmp_path: Path
    ) -> None:
        """With a chain file, httpd sends the leaf and that file: the others are reported."""
        inter = tmp_path / "inter.crt"
        inter.write_bytes(six["good"].chain.read_bytes()[len(six["good"].leaf.pem):])
        site = site_for(six, "good", server="apache", extra_chain=inter,
                        directive="SSLCertificateFile")

        result = judge_site(site, policy=policy(six))

        assert {"deprecated-directive": "warning"} == codes(result)
        assert 2 == len(result.report.chain)
        assert "instead of the 1 after the leaf" in result.report.findings[0].message

    def test_encrypted_key_with_password_file(self, six: SiteSet, tmp_path: Path) -> None:
        """nginx's ssl_password_file opens an encrypted key; without it, key-encrypted."""
        key = tmp_path / "enc.key"
        key.write_bytes(key_pem(six["good"].leaf.key, PASSWORD))
        key.chmod(0o600)
        passwords = tmp_path / "keys.pass"
        passwords.write_bytes(b"wrong\n" + PASSWORD + b"\n")

        opened = judge_site(site_for(six, "good", key=key, passwords=passwords),
                            policy=policy(six))
        closed = judge_site(site_for(six, "good", key=key), policy=policy(six))

        assert {} == codes(opened)
        assert "error" == codes(closed)["key-encrypted"]
        assert Severity.ERROR is closed.report.findings[0].severity
