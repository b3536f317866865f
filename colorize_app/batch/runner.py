"""Resumable batch jobs on a Dask cluster: plan, skip what is done, run the rest, record it.

The client side of `colorize batch`. The job runs on a Dask ``distributed`` cluster: a
``LocalCluster`` sized to this machine by default, or an existing cluster's scheduler.
Every task is one photo, or one stage of a video (:mod:`colorize_app.batch.video_shots`); at
most a few tasks per worker thread are in flight, so a job of 100,000 inputs holds little
memory and Ctrl+C has little to cancel. Each result is appended to the manifest as it
arrives; a rerun skips inputs whose record says done with the same fingerprint and
settings, and retries the rest. Notes, progress and failures go to a
:class:`~colorize_app.jobs.reporting.JobReporter`: the command line words them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from algorithms.errors import BadInputError, ColorizeError, first_line, one_line
from algorithms.threads import usable_cores
from colorize_app.batch.job_settings import BatchSettings
from colorize_app.io.batch_files import FoundInput, Manifest
from colorize_app.io.fingerprints import fingerprint
from colorize_app.jobs.reporting import JobReporter, TaskProgress

#: Memory one local worker needs (a TensorFlow runtime, a model, one large photo).
WORKER_BYTES = 1_500_000_000
#: Seconds to wait for a scheduler to answer and for its first worker to join.
CONNECT_TIMEOUT_S = 30
#: Tasks kept in flight per worker thread: enough to keep workers busy between results.
IN_FLIGHT_PER_THREAD = 4


@dataclass(frozen=True)
class BatchItem:
    """One task of a job: the input file, its output (relative to OUT_DIR), the input's
    fingerprint, and ``extra`` keyword arguments of the task (recorded with its result)."""

    source: str
    output: str
    fingerprint: list
    extra: dict = field(default_factory=dict)


@dataclass
class BatchSummary:
    """What a run did: counts, the first failure, the wall time in seconds."""

    total: int
    skipped: int = 0
    done: int = 0
    failed: int = 0
    failures: list = field(default_factory=list)  # (source, reason)
    seconds: float = 0.0


def plan_items(found: Sequence[FoundInput], suffix: str | None) -> list[BatchItem]:
    """Items with their output names: the relative path, its extension replaced by ``suffix``.

    ``suffix`` None keeps the input's extension (videos). Refuses, before any work, two
    inputs that would write the same output (``a.jpg`` and ``a.png`` -> ``a.png``).
    """
    items: list[BatchItem] = []
    seen: dict[str, str] = {}
    for entry in found:
        output = entry.relative if suffix is None else \
            os.path.splitext(entry.relative)[0] + suffix
        key = output.lower()  # also a clash on case-insensitive file systems
        if key in seen:
            raise BadInputError(f"{entry.path} and {seen[key]} would both be written to "
                                f"{output}")
        seen[key] = entry.path
        items.append(BatchItem(entry.path, output, fingerprint(entry.path)))
    return items


def default_workers() -> int:
    """Local workers: one per core, fewer when memory would not hold one model per worker."""
    from colorize_app.runtime.system import available_memory

    memory = available_memory()
    by_memory = memory // WORKER_BYTES if memory else usable_cores()
    return int(max(1, min(usable_cores(), by_memory)))


@dataclass
class Cluster:
    """A connected Dask client, the TensorFlow threads each task may use, a description."""

    client: Any  # a distributed.Client
    threads_per_task: int
    description: str
    dashboard: str | None = None


def configure_dask() -> None:
    """Dask settings for our workers, before a local cluster starts.

    Dask's own warnings (a port in use, workers closing) are noise on our command line.
    Dask starts its workers with ``MALLOC_TRIM_THRESHOLD_`` set, which turns off glibc's
    adaptive mmap threshold: every large array is then mapped and zeroed afresh, and a 1-MP
    photo took 1.6 times as long (1.3 s against 0.8 s); it is left unset.
    """
    import dask

    dask.config.set({"logging.distributed": "error", "distributed.admin.tick.limit": "60s",
                     "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})
    logging.getLogger("distributed").setLevel(logging.ERROR)


@contextlib.contextmanager
def connect(workers: int | None = None, scheduler: str | None = None,
            reporter: JobReporter | None = None) -> Iterator[Cluster]:
    """A Dask client on a new local cluster of ``workers`` processes, or on ``scheduler``.

    The local cluster runs one single-threaded worker process per ``workers`` (default:
    :func:`default_workers`), each task using ``cores // workers`` TensorFlow threads; it
    is closed, and its processes ended, when the block ends (Ctrl+C included). A request
    for more workers than fit is lowered, with a note to ``reporter``.
    """
    configure_dask()
    from distributed import Client, LocalCluster

    if scheduler is not None:
        client, threads, dashboard = _connect_to(scheduler)
        try:
            yield Cluster(client, threads, f"the Dask cluster at {scheduler}", dashboard)
        finally:
            with contextlib.suppress(Exception):
                client.close(timeout=CONNECT_TIMEOUT_S)
        return
    count = capped_workers(workers, (reporter or JobReporter()).note)
    threads = max(1, usable_cores() // count)
    dashboard = ":8787" if _has_bokeh() else None
    with warnings.catch_warnings():
        # "Port 8787 is already in use" (another job's dashboard): Dask picks another port.
        warnings.filterwarnings("ignore", message="Port .* is already in use")
        cluster = LocalCluster(n_workers=count, threads_per_worker=1, processes=True,
                               dashboard_address=dashboard, silence_logs=logging.ERROR,
                               preload=["colorize_app.batch.worker_tasks"])  # its dask_setup
    try:
        client = Client(cluster)
        try:
            yield Cluster(client, threads, f"{count} local worker{'s' if count != 1 else ''}",
                          cluster.dashboard_link if dashboard else None)
        finally:
            client.close()
    finally:
        cluster.close(timeout=CONNECT_TIMEOUT_S)


def serves_dashboard(link: str, timeout: float = 5.0) -> bool:
    """True when ``link`` answers as a page (a scheduler started with ``--no-dashboard``
    still names a dashboard port, but its page is not found there)."""
    import urllib.request

    try:
        with urllib.request.urlopen(link, timeout=timeout) as reply:
            return 200 <= reply.status < 300
    except (OSError, ValueError):
        return False


def _connect_to(scheduler: str) -> tuple[Any, int, str | None]:
    """(client, TensorFlow threads per task, dashboard link) on the cluster at ``scheduler``.

    Every step has a time limit: a scheduler that accepts the connection and never answers
    (or answers nonsense) is reported in one line within :data:`CONNECT_TIMEOUT_S` + 20
    seconds in all (a worker joining included), never waited on forever.
    """
    import threading

    from distributed import Client

    address = one_line(scheduler, 120)
    outcome: dict = {}

    def attempt() -> None:
        try:
            client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
            outcome["client"] = client
            try:
                client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
            except TimeoutError:
                outcome["error"] = BadInputError(
                    f"no Dask worker joined the scheduler at {address} within "
                    f"{CONNECT_TIMEOUT_S} s (start one with `dask worker {address}`)")
                return
            # Only a scheduler that serves a dashboard has a link worth printing.
            link = client.dashboard_link
            outcome["result"] = (client, _threads_per_task(client),
                                 link if link and serves_dashboard(link) else None)
        except Exception as error:  # noqa: BLE001 - any failure to talk to it is one line
            text = first_line(error)
            outcome["error"] = BadInputError(
                f"cannot reach the Dask scheduler at {address}: {one_line(text, 150)}")

    # Dask's own calls can wait without a limit on a silent peer: a daemon thread with a
    # deadline (it is left behind, blocked, if the peer never answers).
    thread = threading.Thread(target=attempt, name="dask-connect", daemon=True)
    thread.start()
    thread.join(CONNECT_TIMEOUT_S + 20)
    if "result" in outcome:
        return outcome["result"]
    client = outcome.get("client")
    if client is not None:
        with contextlib.suppress(Exception):
            client.close(timeout=5)
    if "error" in outcome:
        raise outcome["error"]
    raise BadInputError(f"the Dask scheduler at {address} did not answer within "
                        f"{CONNECT_TIMEOUT_S + 20} s (is it a Dask scheduler?)")


def capped_workers(requested: int | None,
                   note: Callable[[str], None] | None = None) -> int:
    """Local workers for ``--workers`` (None: :func:`default_workers`): never more than the
    memory holds (:data:`WORKER_BYTES` each) nor than the cores; ``note(text)`` is told
    when the request is lowered."""
    cap = default_workers()
    if requested is None:
        return cap
    if requested > cap and note is not None:
        from colorize_app.runtime.system import available_memory

        memory = available_memory()
        held = f"{memory / 2**30:.1f} GB of memory" if memory else "memory"
        note(f"--workers {requested} lowered to {cap}: {held} and {usable_cores()} cores "
             f"hold {cap} (each worker needs about {WORKER_BYTES / 1e9:.1f} GB)")
    return min(requested, cap)


def _threads_per_task(client: Any) -> int:
    """TensorFlow threads per task on a cluster: each machine's cores shared by its tasks.

    The smallest share over the machines (at least 1), so that no machine is oversubscribed.
    """
    cores = client.run(usable_cores)  # {worker address: cores of its machine}
    workers = client.scheduler_info().get("workers", {})
    threads_on: dict = {}
    cores_on: dict = {}
    for address, info in workers.items():
        host = info.get("host", address)
        threads_on[host] = threads_on.get(host, 0) + int(info.get("nthreads", 1))
        cores_on[host] = cores.get(address, 1)
    shares = [cores_on[host] // max(1, threads_on[host]) for host in threads_on]
    return max(1, min(shares, default=1))


def _has_bokeh() -> bool:
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return False
    return True


def to_do(items: Sequence[BatchItem], manifest: Manifest, key: str) -> list[BatchItem]:
    """The items the manifest does not record as done with settings ``key`` (in order)."""
    return [item for item in items if not manifest.is_done(item.output, key, item.fingerprint)]


def run_items(cluster: Cluster, task: Callable, items: Sequence[BatchItem],
              settings: BatchSettings, manifest: Manifest, out_dir: str, *, run: str,
              label: str = "photos", reporter: JobReporter | None = None,
              on_result: Callable[[BatchItem, dict], None] | None = None) -> BatchSummary:
    """Run ``task(source, target, settings, **extra)`` for every item; record each result.

    ``items`` are those :func:`to_do` left; ``settings.key()`` is recorded with each
    result. Results are appended to ``manifest`` as they arrive, whatever order they come
    in; ``reporter`` hears the progress (counted in ``label``) and each failed input.
    ``on_result(item, record)`` is called after each (the tests interrupt a job there). A
    task that kills its worker is recorded as failed.
    """
    from distributed import as_completed
    from distributed.client import FutureCancelledError

    try:
        from distributed.scheduler import KilledWorker
    except ImportError:  # pragma: no cover - older layouts
        from distributed import KilledWorker

    summary = BatchSummary(total=len(items))
    reporter = reporter or JobReporter()
    key = settings.key()
    started = time.perf_counter()
    threads = sum(cluster.client.nthreads().values()) or 1
    window = max(4, IN_FLIGHT_PER_THREAD * threads)
    remaining = iter(items)
    in_flight: dict = {}
    completed = as_completed()

    def submit_next() -> None:
        item = next(remaining, None)
        if item is not None:
            target = os.path.join(out_dir, item.output)
            # pure=False: a fresh key per submission (the dashboard groups them by task name).
            future = cluster.client.submit(task, item.source, target, settings, **item.extra,
                                           pure=False)
            in_flight[future] = item
            completed.add(future)

    reporter.progress(TaskProgress(label, len(items)))
    try:
        for _ in range(window):
            submit_next()
        for future in completed:
            item = in_flight.pop(future)
            try:
                result = future.result()
            except KilledWorker:
                result = {"status": "failed",
                          "error": "a worker died while processing it (a crash)"}
            except FutureCancelledError:
                raise ColorizeError("the Dask cluster cancelled the job") from None
            except Exception as error:  # noqa: BLE001 - the cluster itself failed
                raise ColorizeError(f"the batch job stopped: {first_line(error)}") from None
            future.release()
            record = {"output": item.output, "input": item.source, "run": run,
                      "fingerprint": item.fingerprint, "settings": key, **item.extra,
                      **result}
            manifest.append(record)
            if result["status"] == "done":
                summary.done += 1
            else:
                summary.failed += 1
                summary.failures.append((item.source, result.get("error", "failed")))
                reporter.failure(item.source, str(result.get("error", "failed")))
            reporter.progress(TaskProgress(label, len(items), summary.done, summary.failed))
            if on_result is not None:
                on_result(item, record)
            submit_next()
    finally:
        # Ctrl+C or a stopped job: drop what is queued; workers finish or drop theirs.
        if in_flight:
            with contextlib.suppress(Exception):
                cluster.client.cancel(list(in_flight), force=True)
    summary.seconds = time.perf_counter() - started
    return summary
