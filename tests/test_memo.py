"""
Work done once per certificate: identity memos and the loader giving the same
bytes the same object (issue 10: a batch of files that share an intermediate
judges it once).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from pki import PKI, T0, hierarchy, pem

from certchain import Policy, load_bytes, strict
from certchain.errors import LoadError
from certchain.memo import by_identity
from certchain.model import TrustStore
from certchain.verify import verify_file


class TestByIdentity:
    def test_computes_once_per_object(self) -> None:
        calls: list[object] = []

        @by_identity()
        def work(thing: object) -> int:
            calls.append(thing)
            return len(calls)

        thing = object()
        assert work(thing) == work(thing) == 1
        assert calls == [thing]

    def test_an_equal_object_is_worked_out_apart(self) -> None:
        """Keyed by identity, not equality: never a wrong answer, at worst a second call."""

        @by_identity()
        def work(thing: list[int]) -> int:
            return id(thing)

        first, second = [1], [1]
        assert work(first) == id(first) and work(second) == id(second)

    def test_two_arguments_key_together(self) -> None:
        @by_identity()
        def pair(a: object, b: object) -> tuple[int, int]:
            return id(a), id(b)

        a, b = object(), object()
        assert pair(a, b) == (id(a), id(b)) and pair(b, a) == (id(b), id(a))

    def test_bounded(self) -> None:
        """Past its size the memo starts afresh: what it holds is bounded."""
        calls: list[int] = []

        @by_identity(2)
        def work(thing: object) -> None:
            calls.append(1)

        things = [object() for _ in range(3)]
        for thing in things:
            work(thing)
        work(things[0])  # forgotten when the third came in

        assert len(calls) == 4


class TestLoadedOnce:
    @pytest.fixture(autouse=True)
    def fresh_table(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Each test starts with the loader's table empty, whatever ran before it."""
        from certchain import load

        monkeypatch.setattr(load, "_LOADED", {})

    def test_the_same_bytes_give_the_same_certificate(self, pki: PKI) -> None:
        h = hierarchy(pki, "shared.example.org")
        first = load_bytes(pem(h.leaf.cert) + pem(h.intermediate.cert))
        second = load_bytes(pem(h.intermediate.cert), source=Path("other.pem"))

        assert second.certs[0].cert is first.certs[1].cert
        assert second.certs[0].source.path == Path("other.pem")  # where it came from is kept

    def test_a_damaged_copy_is_still_refused(self, pki: PKI) -> None:
        """A certificate loaded before does not vouch for different bytes."""
        h = hierarchy(pki, "shared.example.org")
        good = pem(h.leaf.cert)
        load_bytes(good)
        lines = good.splitlines()
        lines[5] = lines[5][:-4] + (b"AAAA" if lines[5][-4:] != b"AAAA" else b"BBBB")
        with pytest.raises(LoadError):
            load_bytes(b"\n".join(lines) + b"\n")

    def test_a_shared_intermediate_is_judged_once(
        self, pki: PKI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Many files with one intermediate: its web-PKI checks run once, not per file."""
        root = pki.root()
        inter = pki.intermediate(root)
        judged: list[x509.Certificate] = []
        real = strict._cert_objections.__wrapped__  # type: ignore[attr-defined]

        def counting(cert: x509.Certificate, anchor: bool) -> tuple[str, ...]:
            judged.append(cert)
            return real(cert, anchor)  # type: ignore[no-any-return]

        monkeypatch.setattr(strict, "_cert_objections", strict.by_identity()(counting))
        policy = Policy(TrustStore((root.cert,), "test anchors", explicit=True), T0)
        for n in range(5):
            leaf = pki.leaf(inter, f"host{n}.example.org")
            path = tmp_path / f"host{n}.pem"
            path.write_bytes(pem(leaf.cert) + pem(inter.cert))
            assert verify_file(path, policy=policy).ok

        assert judged.count(inter.cert) == judged.count(root.cert) == 1
        assert len(judged) == 5 + 2  # each leaf, the intermediate and the root once

    def test_bounded_and_still_working_when_full(
        self, pki: PKI, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Past its limit the table starts afresh: a long-lived process keeps the benefit."""
        from certchain import load

        full = {f"earlier {n}".encode(): None for n in range(load._LOADED_LIMIT)}
        monkeypatch.setattr(load, "_LOADED", full)
        h = hierarchy(pki, "full.example.org")
        first = load_bytes(pem(h.intermediate.cert))
        again = load_bytes(pem(h.intermediate.cert))

        assert len(load._LOADED) <= load._LOADED_LIMIT
        assert again.certs[0].cert is first.certs[0].cert
