"""The build report: the JSON-ready dictionary and the human text."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from pki import T0, Hierarchy, key_pem

from certchain import (
    Policy,
    BuildResult,
    Material,
    ServedFiles,
    TrustStore,
    build_chain,
    jupyterhub,
    load_bytes,
)
from certchain.report import build_dict, build_text, chain_lines, finding_lines

TOP_KEYS = {"ok", "output", "chain", "findings", "snippet", "combined"}
CERT_KEYS = {"role", "subject", "issuer", "sha256", "not_before", "not_after", "in_output"}
FINDING_KEYS = {"code", "severity", "message", "cert"}
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
SNIPPET = jupyterhub(ServedFiles(Path("/srv/hub/hub-chained.crt"), Path("/srv/hub/hub.key")))


def result_for(
    chain3: Hierarchy, *, with_intermediate: bool = True, include_root: bool = True
) -> BuildResult:
    """Build chain3 (with its key) against a store holding its root."""
    host = load_bytes(chain3.leaf.pem + key_pem(chain3.leaf.key), source=Path("/srv/hub/hub.crt"))
    parts = [load_bytes(chain3.root.pem, source=Path("/srv/hub/root.crt"))]
    if with_intermediate:
        parts.append(load_bytes(chain3.intermediate.pem, source=Path("/srv/hub/chain.crt")))
    store = TrustStore((chain3.root.cert,), "test anchors", explicit=True)
    return build_chain(
        host,
        Material.merge(parts),
        policy=Policy(store=store, at=T0),
        include_root=include_root,
    )


class TestBuildDict:
    def test_keys_and_types(self, chain3: Hierarchy) -> None:
        """The dictionary has exactly the documented keys and JSON types, and serialises."""
        result = result_for(chain3)

        doc = build_dict(result, "/srv/hub/hub-chained.crt", SNIPPET)

        assert set(doc) == TOP_KEYS
        assert doc["ok"] is True
        assert doc["output"] == "/srv/hub/hub-chained.crt"
        assert doc["snippet"] == SNIPPET
        assert isinstance(doc["chain"], list) and isinstance(doc["findings"], list)
        for entry in doc["chain"]:
            assert set(entry) == CERT_KEYS
            assert all(isinstance(entry[k], str) for k in CERT_KEYS - {"in_output"})
            assert entry["in_output"] is True
            assert ISO_Z.match(entry["not_before"]) and ISO_Z.match(entry["not_after"])
        for finding in doc["findings"]:
            assert set(finding) == FINDING_KEYS
            assert finding["severity"] in {"error", "warning", "info"}
            assert finding["cert"] is None or type(finding["cert"]) is int
        assert doc == json.loads(json.dumps(doc))

    def test_chain_entries(self, chain3: Hierarchy) -> None:
        """Entries follow the chain leaf first with roles, names and the DER SHA-256."""
        result = result_for(chain3)

        chain = build_dict(result, "/x", None)["chain"]

        certs = [chain3.leaf.cert, chain3.intermediate.cert, chain3.root.cert]
        assert [e["role"] for e in chain] == ["leaf", "intermediate", "root"]
        assert [c.subject.rfc4514_string() for c in certs] == [e["subject"] for e in chain]
        assert [c.issuer.rfc4514_string() for c in certs] == [e["issuer"] for e in chain]
        assert [hashlib.sha256(c.public_bytes(Encoding.DER)).hexdigest() for c in certs] == [
            e["sha256"] for e in chain
        ]

    def test_no_root(self, chain3: Hierarchy) -> None:
        """Without the root in the output its entry says in_output false."""
        result = result_for(chain3, include_root=False)

        chain = build_dict(result, "/x", None)["chain"]

        assert [e["in_output"] for e in chain] == [True, True, False]

    def test_failure(self, chain3: Hierarchy) -> None:
        """A failed build is ok false, with nothing in the output and a missing-issuer error."""
        result = result_for(chain3, with_intermediate=False)

        doc = build_dict(result, None, None)

        assert doc["ok"] is False
        assert doc["output"] is None and doc["snippet"] is None
        assert all(e["in_output"] is False for e in doc["chain"])
        assert {"code": "missing-issuer", "severity": "error"} in [
            {"code": f["code"], "severity": f["severity"]} for f in doc["findings"]
        ]


class TestBuildText:
    def test_contains_chain_lines_and_snippet(self, chain3: Hierarchy) -> None:
        """The text holds every chain line, the output path and the snippet at the end."""
        result = result_for(chain3)

        text = build_text(result, Path("/srv/hub/hub.crt"), "/srv/hub/hub-chained.crt", SNIPPET)

        for line in chain_lines(result.chain, result.roles, kept=len(result.output_chain)):
            assert line in text
        for line in finding_lines(result.findings):
            assert line in text
        assert "/srv/hub/hub-chained.crt" in text
        assert text.endswith(SNIPPET)
        assert text.startswith("Chain for /srv/hub/hub.crt")

    def test_names_every_certificate(self, chain3: Hierarchy) -> None:
        """Every certificate's role, subject, issuer and expiry date appear in the text."""
        result = result_for(chain3)

        text = build_text(result, Path("/srv/hub/hub.crt"), "/x", SNIPPET)

        for role, issued in [
            ("leaf", chain3.leaf),
            ("intermediate", chain3.intermediate),
            ("root", chain3.root),
        ]:
            assert role in text
            assert issued.cert.subject.rfc4514_string() in text
            assert issued.cert.issuer.rfc4514_string() in text
        assert "2060-01-01" in text

    def test_stdout_output(self, chain3: Hierarchy) -> None:
        """Written to stdout, the text says so and carries no snippet."""
        result = result_for(chain3)

        text = build_text(result, Path("/srv/hub/hub.crt"), "-", None)

        assert "standard output" in text
        assert "c.JupyterHub" not in text

    def test_failure(self, chain3: Hierarchy) -> None:
        """A failed build's text names the finding, says nothing was written and has no snippet."""
        result = result_for(chain3, with_intermediate=False)

        text = build_text(result, Path("/srv/hub/hub.crt"), None, None)

        assert "missing-issuer" in text
        assert "Nothing was written" in text
        assert "c.JupyterHub" not in text

    @pytest.mark.parametrize("include_root", [True, False])
    def test_counts_written_certificates(self, chain3: Hierarchy, include_root: bool) -> None:
        """The text says how many certificates went to the output."""
        result = result_for(chain3, include_root=include_root)

        text = build_text(result, Path("/srv/hub/hub.crt"), "/x", SNIPPET)

        assert f"Wrote {3 if include_root else 2} certificates to /x." in text
