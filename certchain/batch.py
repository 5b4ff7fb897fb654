"""
Many inputs at once: the same work on every one, spread over every core.

Each file of a batch is judged on its own, so a batch of a thousand files
splits over a pool of processes, one per core, and the results come back in
the order of the inputs.  A small batch stays in the calling process: a
pool costs about as much to start as judging a few dozen files.

The workers are forked from the caller, so *work* may be any callable (a
closure over the policy, say) and sees what the caller imported; what it
returns must be picklable.  Where fork is not the way processes start
(anything but Linux), the batch runs in the calling process.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from .errors import CertchainError

T = TypeVar("T")
R = TypeVar("R")

#: Below this many inputs, a batch runs in the calling process.
MIN_PARALLEL = 32

# The work of the batch being run: set before the pool forks, so that the
# workers inherit it instead of unpickling it.
_work: Callable[[Any], Any] | None = None


def cores() -> int:
    """Return how many cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def map_ordered(
    work: Callable[[T], R], items: Sequence[T], *, workers: int | None = None
) -> Iterator[R]:
    """
    Yield ``work(item)`` for every item, in order, on up to *workers* cores.

    *workers* defaults to every core this process may use; with one, fewer
    than :data:`MIN_PARALLEL` items, or no fork, the items are worked through
    here, one by one.  An exception raised by *work* ends the batch there.
    """
    workers = cores() if workers is None else max(1, workers)
    workers = min(workers, len(items))
    if workers < 2 or len(items) < MIN_PARALLEL or not _can_fork():
        yield from map(work, items)
        return
    yield from _pooled(work, items, workers)


def _can_fork() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    import multiprocessing  # here: a run of a few files pays nothing for it

    return "fork" in multiprocessing.get_all_start_methods()


def _pooled(work: Callable[[T], R], items: Sequence[T], workers: int) -> Iterator[R]:
    global _work
    previous, _work = _work, work  # inherited by the workers forked below
    # Imported here, as the pool is needed: about 20 ms that a verify of a
    # few files does not pay.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("fork"), initializer=_start_worker
    )
    try:
        # Small chunks keep both cores busy to the end (a chunk of 8 files is
        # a few milliseconds of work; 64 left one core idle for tens of them
        # at the end of a batch); each chunk costs a round trip.
        chunk = max(1, min(8, len(items) // (workers * 8)))
        yield from pool.map(_run, items, chunksize=chunk)
        pool.shutdown(wait=True)  # every result is in: the idle workers end and are joined
    except BrokenProcessPool as exc:  # a worker was killed (out of memory, a signal)
        raise BatchError(
            "a worker process ended abruptly while judging these files (killed, or out "
            "of memory): judge them in smaller batches."
        ) from exc
    finally:
        # At once when the caller stops early or on Ctrl-C: queued work is
        # dropped, and each worker ends after the chunk it holds.
        pool.shutdown(wait=False, cancel_futures=True)
        _work = previous


class BatchError(CertchainError):
    """The pool of workers broke: a worker process died (the batch cannot go on)."""


def _start_worker() -> None:
    # Ctrl-C reaches every process of the terminal's group: the caller ends
    # the batch, and the workers must not each print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run(item: Any) -> Any:
    assert _work is not None, "a worker runs the work it was forked with"
    return _work(item)
