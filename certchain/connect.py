"""
``connect``: the chain a live server serves, judged as ``verify`` judges a
file, and compared with the file the server is meant to serve.

A view of the core's judgement of a served chain
(:func:`certchain.served.assess_served`), given the certificates as the
server sent them (:mod:`certchain.capture` fetches them).  It adds two
things only a live server calls for: what a missing intermediate means for
the clients of a live site (``missing-issuer``), and whether the server
serves the local chained file (``served-differs``).  Pure.
"""

from __future__ import annotations

from datetime import datetime

from cryptography import x509

from .certs import ca_issuer_urls, is_ca
from .errors import ConnectError, LoadError
from .findings import Code, Finding, Remedy, Severity, by_severity, issuer_text, subject_text
from .load import load_bytes
from .model import Chain, Format, LoadedCert, Material, Source, fingerprint
from .policy import Policy
from .results import Capture, Report
from .served import assess_served


def served_material(capture: Capture) -> Material:
    """
    Return the certificates of *capture* as one deployed file holds them, in the order sent.

    Raises:
        ConnectError: a certificate the server sent cannot be parsed.
    """
    certs = []
    for index, der in enumerate(capture.chain):
        try:
            found = load_bytes(der).certs
        except LoadError as exc:
            raise ConnectError(
                capture.endpoint,
                f"certificate {index} that the server sent cannot be read: {exc.reason}",
            ) from exc
        if len(found) != 1:
            raise ConnectError(
                capture.endpoint, f"certificate {index} that the server sent is not one."
            )
        certs.append(LoadedCert(found[0].cert, Source(None, index, Format.DER)))
    return Material(tuple(certs))


def judge_capture(
    capture: Capture, *, policy: Policy, compare: Material | None = None,
    compare_name: str = "the local file",
) -> Report:
    """
    Judge the chain a server sent, as :func:`certchain.verify.verify_chain` judges a file.

    The same findings and codes, certificates named by their place in what
    the server sent (``certificate 1 (CN=R11)``); ``missing-issuer`` says
    what the gap means for a live site's clients and how to close it.

    Args:
        capture: what the server sent (:func:`certchain.capture.capture`).
        policy: the trust anchors, the time and the rules to judge by.
        compare: the chained file the server should serve: a difference is a
            ``served-differs`` error.
        compare_name: how messages name that file.

    Raises:
        ConnectError: a certificate the server sent cannot be parsed.
        LoadError: *compare* holds no certificate.
    """
    report = assess_served(served_material(capture), policy=policy)
    found = [_for_live_server(f, report, policy) for f in report.findings]
    if compare is not None:
        if not compare.certs:
            path = compare.keys[0].source.path if compare.keys else None
            raise LoadError(path, "holds no certificate to compare with the served chain.")
        local = tuple(c.cert for c in compare.certs)
        differs = served_differs(report.chain, local, compare_name)
        if differs is not None:
            found.append(differs)
    return report._replace(findings=by_severity(found))


def _for_live_server(finding: Finding, report: Report, policy: Policy) -> Finding:
    """A served certificate's ``missing-issuer``, said for a live site; others as they are."""
    position = finding.position
    if finding.code is not Code.MISSING_ISSUER or position is None:
        return finding
    cert = report.chain[position]
    name = f"certificate {position} ({subject_text(cert)})"
    urls = ca_issuer_urls(cert)
    made_from = (
        f"the issuer downloaded from {urls[0]}" if urls
        else "the intermediate your certificate authority provides"
    )
    return Finding(
        Code.MISSING_ISSUER, Severity.ERROR,
        f"The server sends {name} without its issuer ({issuer_text(cert)}), which is not "
        f"in the trust store ({policy.store.origin}) either: browsers fetch a missing "
        "issuer over AIA or take it from their cache and show the site as fine, but curl, "
        "wget, Python, Java, Node and most API clients fail with \"unable to get local "
        "issuer certificate\" (unless the issuer is the root of a private CA that they "
        f"trust: then give that root as a trust anchor); serve a chained file with the "
        f"issuer after {name} instead, which certchain build makes from the served "
        f"certificates and {made_from}.",
        position, Remedy.FETCH_MISSING if urls else Remedy.BUILD_CHAIN,
    )


def served_differs(served: Chain, local: Chain, name: str) -> Finding | None:
    """
    Return how *served* differs from the chained file *local*, or None when it is the same.

    The same certificates in the same order, nothing more.  Otherwise one
    ``served-differs`` error: another leaf (older or newer, both expiry
    dates), certificates of the file not sent, certificates sent that the
    file does not hold, another order or a repeated certificate; and the
    usual cause.  Its position is the served leaf that differs, else the
    first certificate sent that the file does not hold.
    """
    served_fps = [fingerprint(c) for c in served]
    local_fps = [fingerprint(c) for c in local]
    if served_fps == local_fps:
        return None
    in_local = {fp: index for index, fp in reversed(list(enumerate(local_fps)))}
    in_served = set(served_fps)
    missing = [(i, c) for i, c in enumerate(local) if local_fps[i] not in in_served]
    extra = [(i, c) for i, c in enumerate(served) if served_fps[i] not in in_local]
    parts = []
    position = None
    served_leaf = next(((i, c) for i, c in extra if not is_ca(c)), None)
    local_leaf = next(((i, c) for i, c in missing if not is_ca(c)), None)
    if served_leaf is not None and local_leaf is not None:
        parts.append(_leaf_difference(served_leaf[1], local_leaf[1], name))
        position = served_leaf[0]
        extra.remove(served_leaf)
        missing.remove(local_leaf)
    parts += [
        f"the server does not send certificate {i} of {name} ({subject_text(c)})"
        for i, c in missing
    ]
    parts += [
        f"the server sends certificate {i} ({subject_text(c)}), which {name} does not hold"
        for i, c in extra
    ]
    if position is None and extra:
        position = extra[0][0]
    order = [in_local[fp] for fp in served_fps if fp in in_local]
    expected = [i for i, fp in enumerate(local_fps) if fp in in_served]
    if order != expected:
        listed = ", ".join(str(i) for i in order)
        what = (
            "more than once" if len(set(order)) < len(order) else "in another order"
        )
        parts.append(
            f"the server sends certificates of {name} {what} ({listed}, numbered as in the file)"
        )
    return Finding(
        Code.SERVED_DIFFERS, Severity.ERROR,
        f"The server does not serve the chain in {name}: {'; '.join(parts)}: the usual cause "
        "is a server that was not restarted or reloaded since the file changed, or a "
        "configuration that names another file; reload the server, and check which file "
        "its configuration names.", position,
    )


def _leaf_difference(served: x509.Certificate, local: x509.Certificate, name: str) -> str:
    """The served leaf against the file's: older, newer or another, with both expiry dates."""
    def age(cert: x509.Certificate) -> tuple[datetime, datetime]:
        return (cert.not_valid_before_utc, cert.not_valid_after_utc)

    if age(served) < age(local):
        how = "older than"
    elif age(served) > age(local):
        how = "newer than"
    else:
        how = "another certificate than"
    return (
        f"the server's leaf ({subject_text(served)}, expires "
        f"{served.not_valid_after_utc:%Y-%m-%d}) is {how} the leaf of {name} "
        f"({subject_text(local)}, expires {local.not_valid_after_utc:%Y-%m-%d})"
    )
