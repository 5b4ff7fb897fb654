"""
``verify``: deployed chained files, judged as a server sends them.

A view of the core's judgement of a served chain
(:func:`certchain.served.assess_served`); reading the file is all it adds.
"""

from __future__ import annotations

from pathlib import Path

from .load import load_file
from .model import Material
from .policy import Policy
from .results import Report
from .served import assess_served


def verify_chain(material: Material, *, policy: Policy, keys: Material | None = None) -> Report:
    """
    Judge the certificates of one deployed file, in the order they stand.

    Args:
        material: the file's content (certificates in file order; a private
            key in it is checked against the leaf).
        policy: the trust anchors, the time and the rules to judge by.
        keys: a private key to check against the leaf instead of the file's.

    Raises:
        LoadError: *material* holds no certificate.
    """
    return assess_served(material, policy=policy, keys=keys)


def verify_file(
    path: Path, *, policy: Policy, keys: Material | None = None, password: bytes | None = None,
) -> Report:
    """Load *path* and judge it with :func:`verify_chain`."""
    return verify_chain(load_file(path, password=password), policy=policy, keys=keys)
