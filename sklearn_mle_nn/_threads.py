"""Threads of training: one BLAS thread, large products shared by two of ours.

Training runs BLAS on one thread. Its own threads spin while they wait for
work: on a busy machine every product then waits for the scheduler, and a
fit takes several times longer than on one thread. A product large enough
to share (:func:`dot`) is split in two halves, computed by the calling
thread and one worker of this module, which sleeps while it waits, or by
the calling thread alone while sharing has been the slower way. Other work
in two independent halves (a weight gradient with its optimizer step)
shares the worker the same way (:func:`in_two`).

The number of BLAS threads is process-wide state: every thread of the user's
process shares it. A fit that lowered it and restored it on its own would
undo its neighbours' settings when fits overlap in threads (a thread pool,
joblib's threading backend, dask's threaded scheduler): the restores happen
out of order, and the process is left on one BLAS thread for good. Here the
fits that run at the same time share one limit, counted under a lock: the
first to enter lowers it, the last to leave restores what the first found.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import contextlib
import functools
import os
import threading
import time

import numpy as np
import threadpoolctl

#: A product of at least this many multiply-adds is shared between two threads.
SMALL_PRODUCT = 2**23


def limit_blas_threads():
    """A context that runs training's matrix products on one BLAS thread.

    A mini-batch product below about 8 million multiply-adds is too small to
    share between threads: waking a second thread costs more than it saves.
    Larger ones are shared by :func:`dot` between two threads of this
    module, each calling BLAS on one thread: unlike BLAS's own threads, which
    spin while they wait, these sleep, so that on a busy machine a product
    costs about what it costs on one thread, not several times more. So every
    fit runs on one BLAS thread, whatever its layers' sizes, and :func:`dot`
    decides per product.

    The limit is process-wide, so it is shared by every fit running in the
    process at the time: it is lowered when the first of them enters and
    restored, to what that first one found, when the last of them leaves,
    whatever the order in which they end.

    Returns
    -------
    context : context manager
        Holds the limit while the block runs.
    """
    return _one_blas_thread()


def dot(A, B, out):
    """``out = A @ B`` for dense C-contiguous ``out``; large products in two halves.

    A product of at least ``SMALL_PRODUCT`` multiply-adds is split by rows
    of ``out`` into two halves, two BLAS calls (see :func:`in_two`). They
    are the same two calls whoever makes them, so the numbers never depend
    on timing.
    """
    n_rows = out.shape[0]
    multiply_adds = n_rows * A.shape[1] * out.shape[1]
    if n_rows < 2 or multiply_adds < SMALL_PRODUCT:
        return np.dot(A, B, out=out)
    half = n_rows // 2
    in_two(
        np.dot,
        (A[:half], B, out[:half]),
        (A[half:], B, out[half:]),
        "product",
        multiply_adds,
    )
    return out


def in_two(function, first, second, kind, size):
    """``function(*first)`` and ``function(*second)``; returns both results.

    The calling thread hands the second call to a worker thread and makes
    the first when that has been the faster way lately for work of this
    ``kind``, and makes both itself when the worker is busy (with another
    fit's half) or when sharing has been slower (a busy machine, where the
    worker waits for a core that is not free). A shared call also tells
    what the unshared way would have cost: twice the calling thread's own
    half. While sharing is the slower, one call in ``_Speed.PROBE`` shares
    all the same, to notice when the machine's load falls. ``size``
    (multiply-adds, values) scales the times recorded: calls of one kind
    but different sizes compare per unit of work.

    The two calls must not depend on each other's results: either may run
    first, or both at once.
    """
    helper = _helper
    speed = helper.speed(kind)
    share = speed.should_share()
    start = time.perf_counter()
    if share and helper.lock.acquire(blocking=False):
        try:
            other_half = helper.pool().submit(function, *second)
            try:
                result = function(*first)
                own_half = time.perf_counter() - start
            finally:
                # Even when the first call raised: the worker's call must be
                # over before the lock is free and the arrays change.
                other_result = other_half.result()
        finally:
            helper.lock.release()
        speed.record(False, 2 * own_half / size)
        speed.record(True, (time.perf_counter() - start) / size)
    else:
        result = function(*first)
        other_result = function(*second)
        speed.record(False, (time.perf_counter() - start) / size)
    return result, other_result


class _Speed:
    """The recent speed of one kind of work, shared with the worker and not."""

    #: While sharing is the slower way, one call in this many shares.
    PROBE = 16
    #: Weight of the latest call in the running mean of its way's speed.
    WEIGHT = 0.25

    def __init__(self):
        self.n_calls = 0
        # Seconds per unit of work, by whether the call was shared; zero
        # until measured, so that sharing is tried first.
        self.seconds = {True: 0.0, False: 0.0}

    def should_share(self):
        # Unlocked: concurrent fits may count or measure a call twice,
        # which only changes which way the next call takes.
        if self.seconds[True] <= self.seconds[False]:
            return True
        self.n_calls += 1
        return self.n_calls % self.PROBE == 0

    def record(self, shared, seconds):
        mean = self.seconds[shared]
        self.seconds[shared] = (
            seconds if mean == 0 else mean + self.WEIGHT * (seconds - mean)
        )


class _Helper:
    """The worker thread that :func:`in_two` hands half its work to, and
    the recent speed of each kind of work shared with it and not."""

    def __init__(self):
        self.lock = threading.Lock()
        self._pool = None
        self.speeds = {}

    def speed(self, kind):
        speed = self.speeds.get(kind)
        if speed is None:
            speed = self.speeds.setdefault(kind, _Speed())
        return speed

    def pool(self):
        # Called with the lock held: created once, at the first shared call.
        if self._pool is None:
            self._pool = _Worker()
        return self._pool


class _Worker:
    """A thread that makes the calls handed to it, one at a time.

    It sleeps on a lock between calls (it does not spin). A call is handed
    over and its result collected with two plain locks: a few microseconds
    less than a thread pool's queue and future, on every shared call. The
    caller (holding ``_Helper.lock``) hands over one call at a time.
    """

    def __init__(self):
        self._start = threading.Lock()
        self._start.acquire()
        self._done = threading.Lock()
        self._done.acquire()
        self._call = self._outcome = None
        threading.Thread(target=self._run, name="sklearn_mle_nn", daemon=True).start()

    def _run(self):
        while True:
            self._start.acquire()
            function, args = self._call
            self._call = None
            try:
                self._outcome = (True, function(*args))
            except BaseException as error:  # raised again in the caller
                self._outcome = (False, error)
            self._done.release()

    def submit(self, function, *args):
        """Start ``function(*args)`` on the worker; returns the worker, whose
        :meth:`result` waits for it."""
        self._call = (function, args)
        self._start.release()
        return self

    def result(self):
        self._done.acquire()
        (returned, value), self._outcome = self._outcome, None
        if not returned:
            raise value
        return value


_helper = _Helper()


class _SharedLimit:
    """How many blocks hold the one-thread limit, and how to undo it.

    ``limiter`` is threadpoolctl's record of the settings found when the
    count went from 0 to 1; it is read again at every such start, so that a
    limit the user set between fits is the one restored after the next.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.count = 0
        self.limiter = None


_shared = _SharedLimit()


def _reset_after_fork():
    # A child forked while a fit held the lock or the count would inherit
    # them without the threads that release them: it starts afresh, from the
    # settings it inherited, and without the parent's worker thread.
    global _shared, _helper
    _shared = _SharedLimit()
    _helper = _Helper()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


@contextlib.contextmanager
def _one_blas_thread():
    process_wide, per_thread = _blas_controllers()
    with _shared_limit(process_wide), _own_limit(per_thread):
        yield


@contextlib.contextmanager
def _shared_limit(controller):
    """One BLAS thread for a process-wide pool, shared by the blocks it spans."""
    if not controller.lib_controllers:
        yield
        return
    shared = _shared
    # The lock is held while the limit changes, not while the fit runs: a
    # fit that enters second must not start before the first has lowered
    # the limit, nor may the last one restore it while another enters.
    with shared.lock:
        if shared.count == 0:
            shared.limiter = controller.limit(limits=1)
            _release_openblas_control()
        shared.count += 1
    try:
        yield
    finally:
        with shared.lock:
            shared.count -= 1
            if shared.count == 0:
                limiter, shared.limiter = shared.limiter, None
                limiter.restore_original_limits()
                _release_openblas_control()


def _own_limit(controller):
    """One BLAS thread for pools that are per thread: set and undone here.

    OpenBLAS built on OpenMP keeps one limit per calling thread; a shared
    count would leave the first fit's thread on one BLAS thread for good.
    """
    if not controller.lib_controllers:
        return contextlib.nullcontext()
    return controller.limit(limits=1)


def _release_openblas_control():
    """Let any thread change OpenBLAS's limit after this one changed it.

    threadpoolctl (from 3.8) lets only one Python thread, the first that
    sets a limit, change the limit of OpenBLAS's process-wide pool; the
    others' changes are silently ignored until that thread gives the role
    up, which ``with threadpool_limits()`` does when its block ends. The
    fit that restores the limit need not run on the thread that lowered it,
    so every change here gives the role back at once. Older threadpoolctl
    has no such role: nothing to release.
    """
    openblas = getattr(threadpoolctl, "OpenBLASController", None)
    clear = getattr(openblas, "clear_controlling_thread", None)
    if clear is not None:
        # Without force=True this clears the role only if this thread holds it.
        clear()


@functools.cache
def _blas_controllers():
    """Controllers of the loaded BLAS: ``(process-wide pools, per-thread pools)``.

    Inspecting the loaded libraries takes milliseconds: it is done once, not
    at every partial_fit.
    """
    blas = threadpoolctl.ThreadpoolController().select(user_api="blas")
    # select() matches any of its arguments: chained, it requires both.
    per_thread = blas.select(internal_api="openblas").select(threading_layer="openmp")
    per_thread_paths = {lib.filepath for lib in per_thread.lib_controllers}
    process_wide = blas.select(
        filepath=[
            lib.filepath
            for lib in blas.lib_controllers
            if lib.filepath not in per_thread_paths
        ]
    )
    return process_wide, per_thread
