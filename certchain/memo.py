"""
Per-certificate memos, keyed by the objects themselves.

What certchain works out about a certificate (its extensions, its names as
text, whether a key signed it) depends on that certificate alone, and the
same objects come back again and again: every path through an intermediate,
every file of a batch that holds it (the loader gives the same bytes the
same object).  :func:`functools.lru_cache` would key them by equality, and a
certificate's hash is computed from its whole DER on every call (about
1.5 µs); these memos key by identity, a dictionary lookup, and hold the
arguments so that no other object can take their identity while remembered.
An equal certificate loaded apart is worked out once more, which is only
slower.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

R = TypeVar("R")

#: Past this many entries a memo starts afresh (a bound on what it holds).
DEFAULT_SIZE = 8192


def by_identity(size: int = DEFAULT_SIZE) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Memoise a function of positional arguments by the identity of each argument."""

    def decorate(function: Callable[..., R]) -> Callable[..., R]:
        memo: dict[object, tuple[object, R]] = {}

        # Ids are unique among live objects, and the memo keeps its arguments
        # alive: an entry found is for these very objects.  A function of one
        # argument (most of them) is keyed by its id alone: the commonest
        # call, a hit, is then one dictionary lookup.
        if function.__code__.co_argcount == 1:

            @wraps(function)
            def remembered(arg: Any) -> R:
                hit = memo.get(id(arg))
                if hit is not None:
                    return hit[1]
                value = function(arg)
                if len(memo) >= size:
                    memo.clear()
                memo[id(arg)] = (arg, value)
                return value

        else:

            @wraps(function)
            def remembered(*args: Any) -> R:
                key = tuple(map(id, args))
                hit = memo.get(key)
                if hit is not None:
                    return hit[1]
                value = function(*args)
                if len(memo) >= size:
                    memo.clear()
                memo[key] = (args, value)
                return value

        remembered.cache_clear = memo.clear  # type: ignore[attr-defined]
        return remembered

    return decorate
