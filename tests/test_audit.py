"""
``certchain audit`` as a library: discovery, sites without a reader, the audit, its metrics.

A fake host is built under ``tmp_path`` (tests/hostkit.py): certbot's
``live/``/``archive/`` symlinks and folders of certificate files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

import pytest
from hostkit import LIVE, Host, fake_host, lineage
from pki import PKI, T0, key_pem
from prometheus_client.parser import text_string_to_metric_families

from certchain import Code, Finding, Policy, Severity, store_from_paths
from certchain.audit import AuditResult, audit_host, find_sites, judge_sites
from certchain.certdirs import folder_sites, lineage_site
from certchain.discovery import LOCATIONS, Found, discover, given
from certchain.errors import LoadError
from certchain.metrics import prometheus_text
from certchain.sites import CERTBOT, FILES, SITE_SERVERS, Site

NGINX = """events {{}}
http {{
    server {{
        listen 443 ssl;
        server_name a.example.org;
        ssl_certificate {chain};
        ssl_certificate_key {key};
    }}
}}
"""


@pytest.fixture
def host(tmp_path: Path, pki: PKI) -> Host:
    """A host with two good certbot lineages, and its trust store."""
    host = fake_host(tmp_path, pki)
    host.add_lineage("a.example.org")
    host.add_lineage("b.example.org")
    return host


def policy_for(host: Host, **knobs: object) -> Policy:
    return Policy(store=store_from_paths([host.trust]), at=T0, **knobs)  # type: ignore[arg-type]


def codes(result: AuditResult) -> dict[str, set[str]]:
    return {a.site.name: {f.code.value for f in a.findings} for a in result.sites}


class TestDiscovery:
    def test_every_usual_location_is_found_under_the_root(self, tmp_path: Path) -> None:
        """Each usual configuration file made under the root is found, with its server."""
        for _, where in LOCATIONS:
            (tmp_path / where).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / where).write_text("# a configuration\n")

        found = discover(tmp_path)

        assert found == tuple(Found(server, tmp_path / where) for server, where in LOCATIONS)
        assert {server for server, _ in LOCATIONS} == {"nginx", "apache", "haproxy", "jupyterhub"}

    def test_debian_and_rhel_apache_layouts(self, tmp_path: Path) -> None:
        """Apache is found in the Debian layout (apache2.conf) and the RHEL one (httpd.conf)."""
        where = dict((path, server) for server, path in LOCATIONS)

        assert where["etc/apache2/apache2.conf"] == "apache"
        assert where["etc/httpd/conf/httpd.conf"] == "apache"

    def test_certbot_lineages_are_found_by_name(self, host: Host) -> None:
        """Each live/NAME folder is a certbot lineage; live/README is not."""
        (host.root / LIVE / "README").write_text("certbot's note\n")

        found = discover(host.root)

        assert found == (Found(CERTBOT, host.lineages["a.example.org"]),
                         Found(CERTBOT, host.lineages["b.example.org"]))

    def test_an_empty_host_has_nothing(self, tmp_path: Path) -> None:
        """A root without any usual location gives nothing, and no error."""
        assert discover(tmp_path) == ()

    def test_paths_given_are_classified(self, host: Host, tmp_path: Path) -> None:
        """A lineage, a folder of lineages, a folder of files and configuration files."""
        files = host.add_files("srv/certs", "c.example.org")
        nginx = tmp_path / "nginx.conf"
        other = tmp_path / "site.conf"

        found = given([host.lineages["a.example.org"], host.root / LIVE, files, nginx, other])

        assert found == (
            Found(CERTBOT, host.lineages["a.example.org"]),
            Found(CERTBOT, host.lineages["a.example.org"]),
            Found(CERTBOT, host.lineages["b.example.org"]),
            Found(FILES, files),
            Found("nginx", nginx),
            Found(None, other),
        )

    @pytest.mark.skipif(os.geteuid() == 0, reason="root lists any folder")
    def test_an_unlistable_live_folder_is_not_passed_over(self, host: Host) -> None:
        """live/ that this user cannot list (certbot makes it 0700) is an input, not nothing."""
        live = host.root / LIVE
        live.chmod(0)
        try:
            assert discover(host.root) == (Found(FILES, live),)
        finally:
            live.chmod(0o755)


class TestSitesWithoutReader:
    def test_servers_include_certbot_and_files(self) -> None:
        """Sites read from lineages and folders have server names of their own."""
        assert CERTBOT in SITE_SERVERS and FILES in SITE_SERVERS

    def test_a_lineage_serves_fullchain_with_privkey(self, host: Host) -> None:
        """certbot's live/NAME is a site serving fullchain.pem and privkey.pem."""
        live = host.lineages["a.example.org"]

        assert lineage_site(live) == Site(
            server=CERTBOT, name="a.example.org", chain=live / "fullchain.pem",
            key=live / "privkey.pem", directive="certbot's live/a.example.org",
        )

    def test_a_folder_serves_each_host_certificate_file(self, host: Host) -> None:
        """Each file holding a host certificate is a site with its key; CA and key files are not."""
        folder = host.add_files("srv/certs", "c.example.org", "d.example.org")
        (folder / "notes.txt").write_text("not a certificate\n")
        (folder / "only-key.pem").write_bytes(key_pem(host.hier.leaf.key))
        (folder / ".c.example.org.crt.1234.tmp").write_bytes(b"")

        sites = folder_sites(folder)

        assert [(s.name, s.key) for s in sites] == [
            ("c.example.org.crt", folder / "c.example.org.key"),
            ("d.example.org.crt", folder / "d.example.org.key"),
        ]
        assert {s.server for s in sites} == {FILES}

    def test_a_file_without_its_key_says_so(self, host: Host) -> None:
        """No key beside it: a no-key warning; the key inside the file (HAProxy's): none."""
        folder = host.add_files("srv/certs", "c.example.org", "d.example.org")
        (folder / "c.example.org.key").unlink()
        combined = host.pki.leaf(host.hier.intermediate, "e.example.org")
        (folder / "e.pem").write_bytes(combined.pem + host.hier.intermediate.pem
                                       + combined.key_pem)

        sites = {s.name: s for s in folder_sites(folder)}

        (note,) = sites["c.example.org.crt"].findings
        assert (note.code, note.severity) == (Code.NO_KEY, Severity.WARNING)
        assert note.message.startswith(f"Site c.example.org.crt: no key file beside {folder}")
        assert sites["d.example.org.crt"].findings == sites["e.pem"].findings == ()

    def test_the_judge_does_not_ask_for_the_missing_key(self, host: Host) -> None:
        """Judged, a file without its key is a warning (WARN), not an error."""
        folder = host.add_files("srv/certs", "c.example.org")
        (folder / "c.example.org.key").unlink()

        result = audit_host([folder], policy=policy_for(host))

        (audit,) = result.sites
        assert audit.ok and audit.warned and codes(result) == {"c.example.org.crt": {"no-key"}}

    def test_a_damaged_certificate_file_is_still_a_site(self, host: Host) -> None:
        """A file that cannot be read as certificates is judged (and reported), not skipped."""
        folder = host.add_files("srv/certs")
        (folder / "broken.crt").write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n")

        assert [s.name for s in folder_sites(folder)] == ["broken.crt"]

    def test_a_folder_that_cannot_be_listed_is_an_error(self, tmp_path: Path) -> None:
        """A missing folder raises LoadError naming it."""
        with pytest.raises(LoadError, match="cannot be listed"):
            folder_sites(tmp_path / "missing")


class TestAudit:
    def test_certbot_lineages_are_judged_through_their_symlinks(self, host: Host) -> None:
        """Good lineages are OK: the chain, and privkey.pem checked against the leaf."""
        result = audit_host(policy=policy_for(host), root=host.root)

        assert [a.site.name for a in result.sites] == ["a.example.org", "b.example.org"]
        assert result.ok and codes(result) == {"a.example.org": set(), "b.example.org": set()}

    def test_problems_of_each_site(self, host: Host) -> None:
        """Missing intermediate, expiring soon, wrong key, dangling link: each named."""
        host.add_lineage("missing.example.org", chain=False)
        host.add_lineage("soon.example.org", days=10)
        wrong = host.add_lineage("wrongkey.example.org")
        (wrong / "privkey.pem").resolve().write_bytes(key_pem(host.hier.leaf.key))
        gone = host.add_lineage("gone.example.org")
        (gone / "fullchain.pem").resolve().unlink()

        result = audit_host(policy=policy_for(host), root=host.root)

        found = codes(result)
        assert found["missing.example.org"] == {"missing-issuer"}
        assert found["soon.example.org"] == {"expires-soon"}
        # Python's ssl refuses the mismatched key too (the proof doctor makes).
        assert found["wrongkey.example.org"] == {"key-mismatch", "server-refuses"}
        assert found["gone.example.org"] == {"file-not-found"}
        (gone_finding,) = next(a for a in result.sites
                               if a.site.name == "gone.example.org").findings
        assert gone_finding.message.startswith(
            "Site gone.example.org: certbot's live/gone.example.org names "
            f"{gone / 'fullchain.pem'}, which does not exist")
        assert not result.ok

    def test_first_expiry_and_leaf_not_after(self, host: Host) -> None:
        """The first expiry is the earliest notAfter on the path; the leaf's is its own."""
        host.add_lineage("soon.example.org", days=10)

        result = audit_host(policy=policy_for(host), root=host.root)

        soon = next(a for a in result.sites if a.site.name == "soon.example.org")
        assert soon.leaf_not_after == soon.first_expiry == T0 + dt.timedelta(days=10)
        good = result.sites[0]
        assert good.first_expiry == min(c.not_valid_after_utc for c in
                                        (host.hier.intermediate.cert, host.hier.root.cert,
                                         host.hier.leaf.cert))

    def test_a_file_named_twice_is_judged_once(self, host: Host) -> None:
        """A lineage reached twice, and a folder file linked to a lineage's, make one site each."""
        folder = host.root / "srv/certs"
        folder.mkdir(parents=True)
        (folder / "a.pem").symlink_to(host.lineages["a.example.org"] / "fullchain.pem")

        inventory = find_sites([host.lineages["a.example.org"], host.root / LIVE, folder])

        assert [(s.server, s.name) for s in inventory.sites] == [
            (CERTBOT, "a.example.org"), (CERTBOT, "b.example.org"), (FILES, "a.pem"),
        ]

    def test_a_lineage_a_configuration_names_is_its_site(
        self, host: Host, tmp_path: Path
    ) -> None:
        """An nginx site serving a lineage's files: one row, nginx's; the lineage is not another."""
        live = host.lineages["a.example.org"]
        config = tmp_path / "nginx.conf"
        config.write_text(NGINX.format(chain=live / "fullchain.pem", key=live / "privkey.pem"))

        result = audit_host([config, host.root / LIVE], policy=policy_for(host))

        assert [(a.site.server, a.site.name) for a in result.sites] == [
            ("nginx", "a.example.org"), (CERTBOT, "b.example.org")]
        assert result.ok, [a.findings for a in result.sites]

    def test_parallel_gives_what_serial_gives(self, host: Host) -> None:
        """40 sites judged on two cores come back exactly as judged one by one, in order."""
        for n in range(38):
            host.add_lineage(f"h{n:02}.example.org", chain=n % 5 != 0, days=n * 20 or None)
        sites = find_sites(root=host.root).sites
        assert len(sites) == 40

        serial = list(judge_sites(sites, policy=policy_for(host), workers=1))
        parallel = list(judge_sites(sites, policy=policy_for(host), workers=2))

        assert parallel == serial

    def test_fail_on_a_code_makes_it_an_error(self, host: Host) -> None:
        """--fail-on expires-soon: an expiring certificate fails the site; others unchanged."""
        host.add_lineage("soon.example.org", days=10)
        policy = policy_for(host, warn_days=21)

        plain = audit_host(policy=policy, root=host.root)
        failing = audit_host(policy=policy, root=host.root,
                             fail_on=frozenset({Code.EXPIRES_SOON}))

        assert plain.ok and not failing.ok
        soon = next(a for a in failing.sites if a.site.name == "soon.example.org")
        assert [(f.code, f.severity) for f in soon.findings] == [
            (Code.EXPIRES_SOON, Severity.ERROR)]
        assert sum(not a.ok for a in failing.sites) == 1

    def test_fail_on_warning_makes_every_warning_an_error(self, host: Host) -> None:
        """--fail-on warning: a site with any warning fails."""
        host.add_lineage("soon.example.org", days=10)

        result = audit_host(policy=policy_for(host), root=host.root,
                            fail_on=frozenset({Severity.WARNING}))

        assert [a.site.name for a in result.sites if not a.ok] == ["soon.example.org"]

    def test_an_unreadable_input_is_set_aside(self, host: Host, tmp_path: Path) -> None:
        """A path that does not exist is an unreadable input; the others are judged."""
        result = audit_host([tmp_path / "missing.conf", host.lineages["a.example.org"]],
                            policy=policy_for(host))

        assert [a.site.name for a in result.sites] == ["a.example.org"]
        (unread,) = result.unreadable
        assert unread.found.path == tmp_path / "missing.conf"
        assert "does not exist" in str(unread.error) and not result.ok

    def test_an_encrypted_key_is_reported(self, host: Host) -> None:
        """A lineage whose privkey.pem is encrypted: key-encrypted (a server cannot ask)."""
        live = host.add_lineage("locked.example.org")
        leaf_key = host.pki.leaf(host.hier.intermediate).key
        (live / "privkey.pem").resolve().write_bytes(key_pem(leaf_key, b"secret"))

        result = audit_host(policy=policy_for(host), root=host.root)

        assert codes(result)["locked.example.org"] == {"key-encrypted"}


def metric_samples(text: bytes) -> dict[str, list[tuple[dict[str, str], float]]]:
    """The samples of each metric, as prometheus_client's parser reads the text."""
    return {
        family.name: [(dict(s.labels), s.value) for s in family.samples]
        for family in text_string_to_metric_families(text.decode())
    }


class TestMetrics:
    def test_the_text_format_parses_with_prometheus_client(self, host: Host) -> None:
        """Each site's verdict, expiry, notAfter and findings, as the parser reads them."""
        host.add_lineage("soon.example.org", days=10)
        host.add_lineage("missing.example.org", chain=False)
        result = audit_host(policy=policy_for(host), root=host.root)

        samples = metric_samples(prometheus_text(result))

        soon = host.lineages["soon.example.org"] / "fullchain.pem"
        labels = {"server": "certbot", "site": "soon.example.org", "file": str(soon)}
        assert (labels, 1.0) in samples["certchain_chain_ok"]
        assert (labels, 10 * 86400.0) in samples["certchain_chain_expires_in_seconds"]
        not_after = (T0 + dt.timedelta(days=10)).timestamp()
        assert (labels, not_after) in samples["certchain_leaf_not_after_timestamp_seconds"]
        assert ({**labels, "code": "expires-soon", "severity": "warning"}, 1.0) in samples[
            "certchain_findings"]
        missing = {"server": "certbot", "site": "missing.example.org",
                   "file": str(host.lineages["missing.example.org"] / "fullchain.pem")}
        assert (missing, 0.0) in samples["certchain_chain_ok"]
        assert samples["certchain_audit_timestamp_seconds"] == [({}, T0.timestamp())]

    def test_names_follow_prometheus_conventions(self, host: Host) -> None:
        """Every metric starts with certchain_; times are _seconds or _timestamp_seconds."""
        result = audit_host(policy=policy_for(host), root=host.root)

        names = set(metric_samples(prometheus_text(result)))

        assert all(n.startswith("certchain_") for n in names)
        assert "certchain_leaf_not_after_timestamp_seconds" in names
        assert "certchain_chain_expires_in_seconds" in names

    def test_label_values_are_escaped(self, host: Host, pki: PKI) -> None:
        """A quote, a backslash and a line break in a site name survive the text format."""
        name = 'we"ird\\na\nme'
        lineage(host.root, name, pki.leaf(host.hier.intermediate, "w.example.org"),
                [host.hier.intermediate])
        result = audit_host(policy=policy_for(host), root=host.root)

        samples = metric_samples(prometheus_text(result))

        sites = {labels["site"] for labels, _ in samples["certchain_chain_ok"]}
        assert 'we"ird\\na\\nme' in sites  # the line break shown as \n, as text reports do

    def test_sites_with_the_same_labels_make_one_series(self, host: Host) -> None:
        """Two sites that label alike: the worse verdict, the earlier expiry, findings summed."""
        result = audit_host(policy=policy_for(host), root=host.root)
        first = result.sites[0]
        assert first.first_expiry is not None
        mismatch = Finding(Code.KEY_MISMATCH, Severity.ERROR, "The key does not match.")
        twin = dataclasses.replace(first, findings=(mismatch,),
                                   first_expiry=first.first_expiry - dt.timedelta(days=1))
        merged = AuditResult(result.at, (first, twin, twin), result.unreadable)

        samples = metric_samples(prometheus_text(merged))

        labels = {"server": "certbot", "site": first.site.name, "file": str(first.site.chain)}
        assert samples["certchain_chain_ok"] == [(labels, 0.0)]
        expires = (first.first_expiry - dt.timedelta(days=1) - T0).total_seconds()
        assert samples["certchain_chain_expires_in_seconds"] == [(labels, expires)]
        assert samples["certchain_findings"] == [
            ({**labels, "code": "key-mismatch", "severity": "error"}, 2.0)]

    def test_unreadable_inputs_are_a_metric(self, host: Host, tmp_path: Path) -> None:
        """An input that could not be read is certchain_input_unreadable 1."""
        result = audit_host([tmp_path / "gone.conf"], policy=policy_for(host))

        samples = metric_samples(prometheus_text(result))

        assert samples["certchain_input_unreadable"] == [
            ({"server": "", "path": str(tmp_path / "gone.conf")}, 1.0)]


class TestEachFileOnce:
    def test_a_file_several_sites_name_is_judged_once(
        self, host: Host, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Three sites naming one chain and key: the chain is judged and proven once, each site
        still gets its own names checked."""
        import certchain.sitecheck as sitecheck

        live = host.lineages["a.example.org"]
        chain, key = live / "fullchain.pem", live / "privkey.pem"
        sites = [
            Site("nginx", name, chain, key, names=(name,))
            for name in ("a.example.org", "www.a.example.org", "b.example.org")
        ]
        judged, proven = [], []
        real_assess, real_prove = sitecheck.assess_served, sitecheck._prove
        monkeypatch.setattr(sitecheck, "assess_served",
                            lambda *a, **k: judged.append(1) or real_assess(*a, **k))
        monkeypatch.setattr(sitecheck, "_prove",
                            lambda *a, **k: proven.append(1) or real_prove(*a, **k))

        audits = list(judge_sites(sites, policy=policy_for(host), workers=1))

        assert len(judged) == 1 and len(proven) == 1
        assert [a.site.name for a in audits] == [s.name for s in sites]
        mismatched = {a.site.name for a in audits
                      if any(f.code is Code.HOSTNAME_MISMATCH for f in a.findings)}
        assert mismatched == {"www.a.example.org", "b.example.org"}
