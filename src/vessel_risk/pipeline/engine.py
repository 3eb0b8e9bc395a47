"""Where partition work runs: in this process, on a local Dask cluster, or on a scheduler.

:class:`Engine` maps one function over items (partitions of vessels, space-time tiles of
the encounter grid) and hands the results back as they complete. The function is the
same in every mode; only where it runs changes:

- ``"sync"`` (the default): a plain loop in this process. Dask is not imported.
- ``"processes"``: a :class:`distributed.LocalCluster` of ``workers`` processes, one
  thread each, started and stopped with the engine.
- ``"tcp://host:port"`` or ``"tls://host:port"``: an existing Dask scheduler. With
  ``tls://`` the certificates come from the settings (:func:`tls_security`).

Security
--------
Dask ships pickled code and data between the client, the scheduler and the workers,
and a worker runs whatever it is sent. A plain ``tcp://`` cluster must therefore sit on
a trusted network (loopback, or a private network only the run's machines reach);
anywhere else use ``tls://`` with certificates signed by a CA of your own, so only
holders of a certificate can join or submit work.

Retries
-------
A task lost with its worker is run again (``retries``) on another worker. The
partition tasks (:mod:`vessel_risk.pipeline.tasks`) are idempotent: they read the
position store and write each output file whole, to a temporary name first and then
renamed, so a retried task overwrites a finished file with the same bytes and a task
killed half-way leaves no partial file behind.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from vessel_risk.settings import Settings

if TYPE_CHECKING:
    from distributed import Client, LocalCluster
    from distributed.security import Security

T = TypeVar("T")
R = TypeVar("R")

MODES = ("sync", "processes")
"""Scheduler names; anything else must be a ``tcp://`` or ``tls://`` address."""

RETRIES = 2
"""Times a task lost with its worker is run again before the run fails."""


def check_scheduler(scheduler: str, workers: int | None = None) -> None:
    """Raise a clear error unless ``scheduler`` and ``workers`` name a way to run.

    Parameters
    ----------
    scheduler : str
        ``"sync"``, ``"processes"`` or a ``tcp://host:port`` / ``tls://host:port`` address.
    workers : int, optional
        Worker processes of the ``"processes"`` cluster (at least 1); meaningless otherwise.

    Raises
    ------
    ValueError
        If ``scheduler`` is none of these, if an address has no host and port, or if
        ``workers`` is given with another scheduler than ``"processes"`` or is below 1.
    """
    if not isinstance(scheduler, str):
        raise ValueError(f"--scheduler must be a string. Got {scheduler!r} instead.")
    if scheduler not in MODES:
        scheme, sep, rest = scheduler.partition("://")
        host, colon, port = rest.rpartition(":")
        if scheme not in ("tcp", "tls") or not sep or not host or not colon or not port.isdigit():
            raise ValueError(
                f"--scheduler must be 'sync', 'processes' or a Dask scheduler address such as "
                f"tcp://10.0.0.5:8786 or tls://scheduler:8786. Got {scheduler!r} instead."
            )
    if workers is not None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"--workers must be a whole number >= 1. Got {workers!r} instead.")
        if scheduler != "processes":
            raise ValueError(
                "--workers sets the size of the local cluster of --scheduler processes; "
                f"with --scheduler {scheduler} the cluster has the workers it has."
            )


def tls_security(settings: Settings) -> Security:
    """Dask's TLS security from ``VESSEL_RISK_DASK_TLS_CA``, ``..._CERT`` and ``..._KEY``.

    Parameters
    ----------
    settings : Settings
        ``dask_tls_ca`` (CA certificate, PEM), ``dask_tls_cert`` (this client's
        certificate, PEM), ``dask_tls_key`` (its private key, PEM).

    Returns
    -------
    distributed.security.Security
        Encryption required; the client checks the scheduler's certificate against the CA.

    Raises
    ------
    ValueError
        If one of the three settings is missing or names no file.
    """
    from distributed.security import Security

    files = {
        "VESSEL_RISK_DASK_TLS_CA": settings.dask_tls_ca,
        "VESSEL_RISK_DASK_TLS_CERT": settings.dask_tls_cert,
        "VESSEL_RISK_DASK_TLS_KEY": settings.dask_tls_key,
    }
    missing = [name for name, path in files.items() if path is None]
    if missing:
        raise ValueError(
            "a tls:// scheduler needs certificates: set " + ", ".join(missing) + " (PEM files)."
        )
    for name, path in files.items():
        if path is not None and not path.is_file():
            raise ValueError(f"{name} names {str(path)!r}, which is not a file.")
    return Security(
        tls_ca_file=str(settings.dask_tls_ca),
        tls_client_cert=str(settings.dask_tls_cert),
        tls_client_key=str(settings.dask_tls_key),
        require_encryption=True,
    )


def largest_first(sizes: Sequence[float]) -> list[int]:
    """Positions of ``sizes`` from the largest to the smallest (ties: the earlier first).

    The longest-processing-time-first order: handing tasks out in it to whichever
    worker is free leaves at most one small task's time of imbalance at a barrier,
    where in the input's order the last task to start may be the largest.

    Parameters
    ----------
    sizes : sequence of float
        Expected cost of each item (rows, say), any unit.

    Returns
    -------
    list of int
        A permutation of ``range(len(sizes))``.
    """
    return sorted(range(len(sizes)), key=lambda i: (-sizes[i], i))


def _close(client: Client | None, cluster: LocalCluster | None) -> None:
    """Leave the scheduler, then stop the local cluster (if any)."""
    if client is not None:
        client.close()
    if cluster is not None:
        cluster.close()


@dataclass
class Done:
    """One finished task: its item's position in the input and its result."""

    index: int
    result: Any


class Engine:
    """Maps a function over items in this process, on a local cluster or on a scheduler.

    Use it as a context manager; a cluster it starts is stopped on exit.

    Parameters
    ----------
    scheduler : str, default "sync"
        ``"sync"``, ``"processes"`` or a ``tcp://``/``tls://`` scheduler address
        (:func:`check_scheduler`).
    workers : int, optional
        Worker processes of a ``"processes"`` cluster; default: one per CPU core.
    settings : Settings, optional
        Where ``tls://`` certificates come from; default: read from the environment.
    close_later : bool, default False
        On a normal exit, stop the cluster (or leave the scheduler) on a thread, so the
        caller goes on with its own work while the worker processes end (a second or
        more of a run's wall time); :meth:`wait_closed` waits for it. After an error
        the cluster is stopped before the exit returns, as without it.
    start_in_background : bool, default False
        Start a ``"processes"`` cluster on a thread as the engine is entered, so the
        caller reads its input while the workers start (about 2 s); the first
        :meth:`map` or :meth:`share` waits for it, and raises what stopped it.

    Raises
    ------
    ValueError
        As :func:`check_scheduler`; or, entering, a ``tls://`` address without certificates.
    OSError
        Entering, if the scheduler cannot be reached (the message names it).
    """

    def __init__(
        self,
        scheduler: str = "sync",
        workers: int | None = None,
        settings: Settings | None = None,
        *,
        close_later: bool = False,
        start_in_background: bool = False,
    ) -> None:
        check_scheduler(scheduler, workers)
        self.scheduler, self.workers = scheduler, workers
        self._settings = settings
        self._cluster: LocalCluster | None = None
        self._client: Client | None = None
        self._close_later = close_later
        self._closing: threading.Thread | None = None
        self._in_background = start_in_background
        self._starting: threading.Thread | None = None
        self._start_error: BaseException | None = None

    @property
    def distributed(self) -> bool:
        """Whether tasks run in other processes (anything but ``"sync"``)."""
        return self.scheduler != "sync"

    def __enter__(self) -> Engine:
        if not self.distributed:
            return self
        from distributed import Client  # imported here, not first on a thread

        if self.scheduler == "processes":
            if self._in_background:
                self._starting = threading.Thread(
                    target=self._start_local_in_background, name="vessel-risk-engine-start"
                )
                self._starting.start()
            else:
                self._start_local()
            return self
        security = None
        if self.scheduler.startswith("tls://"):
            security = tls_security(self._settings or Settings())
        try:
            self._client = Client(self.scheduler, security=security, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise OSError(f"the Dask scheduler {self.scheduler} cannot be reached: {exc}") from exc
        self._set_worker_heaps()
        return self

    def _start_local(self) -> None:
        """Start the local cluster of ``workers`` processes and connect to it."""
        import dask
        from distributed import Client, LocalCluster

        # A worker is sent its next task when it has none left (saturation 1: no task
        # waits in a worker's own queue), so each free worker takes the waiting task of
        # highest priority (largest first, see map's ``sizes``). No statistical profiler
        # in the workers: every 10 ms it takes the GIL to walk the task's stack, which
        # cost 5 % of the tasks' CPU with every core busy (first-pass tasks at 5M, two
        # workers on two cores: 10.2 against 10.8 s; benchmarks/README.md, session 9).
        with dask.config.set(
            {
                "distributed.scheduler.worker-saturation": 1.0,
                "distributed.worker.profile.enabled": False,
            }
        ):
            self._cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                # None still means :8787 on every interface (and a warning when that
                # port is taken); a free port on loopback instead
                dashboard_address="127.0.0.1:0",
                scheduler_port=0,
            )
        self._client = Client(self._cluster)
        self._set_worker_heaps()

    def _start_local_in_background(self) -> None:
        try:
            self._start_local()
        except BaseException as exc:  # raised again by _started, in the caller's thread
            self._start_error = exc

    def _started(self) -> None:
        """Wait for a cluster starting in the background; raise what stopped it."""
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        if self._start_error is not None:
            error, self._start_error = self._start_error, None
            raise error

    def _set_worker_heaps(self) -> None:
        """Every worker's ``malloc`` as in a plain process (:class:`WorkerHeap`)."""
        from vessel_risk.pipeline.worker_heap import WorkerHeap

        assert self._client is not None
        self._client.register_plugin(WorkerHeap())

    def __exit__(self, *exc: object) -> None:
        if self._starting is not None:
            self._starting.join()  # whatever the exit, a cluster half started is stopped
            self._starting = self._start_error = None
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        if client is None and cluster is None:
            return
        if self._close_later and exc[0] is None:
            self._closing = threading.Thread(
                target=_close, args=(client, cluster), name="vessel-risk-engine-close"
            )
            self._closing.start()
        else:
            _close(client, cluster)

    def wait_closed(self) -> None:
        """Return when a cluster stopping on its thread (``close_later``) has stopped."""
        if self._closing is not None:
            self._closing.join()
            self._closing = None

    @property
    def worker_count(self) -> int:
        """Workers that take tasks (1 in this process)."""
        self._started()
        if self._client is None:
            return 1
        return len(self._client.scheduler_info(n_workers=-1)["workers"])

    def share(self, value: T) -> T:
        """``value`` as tasks should receive it: itself in this process; on a cluster, sent
        once to every worker (and unpickled there once), not once per task.

        A list, tuple, set or dict is sent as one object (Dask's ``scatter`` would send
        each element apart, and fails on an empty one, such as the empty set of MMSIs
        of a run with nothing new)."""
        self._started()
        if self._client is None:
            return value
        [future] = self._client.scatter([value], broadcast=True, hash=False)
        return future

    def map(
        self,
        function: Callable[..., R],
        items: Sequence[Any],
        *args: Any,
        on_done: Callable[[int, int], None] | None = None,
        sizes: Sequence[float] | None = None,
        **kwargs: Any,
    ) -> list[R]:
        """``[function(item, *args, **kwargs) for item in items]``, wherever it runs.

        Results come back in the order of ``items`` whatever order the tasks finish in,
        so what the run sums from them is summed in one order in every mode.

        Parameters
        ----------
        function : callable
            A module-level function (it is pickled by reference on a cluster).
        items : sequence
        *args, **kwargs
            Passed to every call; values from :meth:`share` are resolved on the workers.
        on_done : callable, optional
            ``f(done, total)`` after each task finishes.
        sizes : sequence of float, optional
            Expected cost of each item (rows, say). On a cluster the tasks start largest
            first (:func:`largest_first`), so the last to finish are the small ones and
            the workers finish close together; the results keep the order of ``items``.

        Returns
        -------
        list
            One result per item.

        Raises
        ------
        Exception
            The first task's error, after its retries.
        """
        results: list[Any] = [None] * len(items)
        done_ = self.as_completed(function, items, *args, sizes=sizes, **kwargs)
        for count, done in enumerate(done_, 1):
            results[done.index] = done.result
            if on_done is not None:
                on_done(count, len(items))
        return results

    def as_completed(
        self,
        function: Callable[..., Any],
        items: Sequence[Any],
        *args: Any,
        sizes: Sequence[float] | None = None,
        **kwargs: Any,
    ) -> Iterator[Done]:
        """Run ``function`` on each item and yield each :class:`Done` as it finishes.

        ``sizes`` orders the tasks on a cluster as in :meth:`map`; in this process the
        items run in their order. No items: nothing runs and nothing is yielded.
        """
        if not items:
            return
        self._started()
        if self._client is None:
            for index, item in enumerate(items):
                yield Done(index, function(item, *args, **kwargs))
            return
        from distributed import as_completed

        name = getattr(function, "__name__", "task")
        stamp = time.time_ns()
        order = largest_first(sizes) if sizes is not None else list(range(len(items)))
        if len(order) != len(items):
            raise ValueError(f"sizes has {len(order)} values for {len(items)} items.")
        # One submit per item, each with a priority: the scheduler hands the waiting task
        # of highest priority to the next free worker, so the largest run first.
        futures = [
            self._client.submit(
                function,
                items[i],
                *args,
                key=f"{name}-{stamp}-{i}",
                priority=len(order) - rank,
                retries=RETRIES,
                pure=False,
                **kwargs,
            )
            for rank, i in enumerate(order)
        ]
        where = {f.key: i for i, f in zip(order, futures, strict=True)}
        for future in as_completed(futures):
            index = where[future.key]
            yield Done(index, future.result())
            future.release()
