"""Executors: how a study's trials run. ``local`` (a process pool) and ``ray`` (Ray tasks).

An executor takes the trials still to run and yields ``(key, status)`` as each finishes,
in completion order, so the runner can report progress; every trial writes its own files,
so an executor keeps no state worth losing.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from urllib.parse import urlsplit

import torch

from priorkit.ablation.grid import Trial
from priorkit.ablation.worker import run_one
from priorkit.config import whole_number
from priorkit.errors import ConfigError
from priorkit.registry import Registry

EXECUTORS: Registry[type[Executor]] = Registry("executor")


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    """Torch threads per worker so that workers x threads <= cores (at least 1)."""
    return max(1, (cores or os.cpu_count() or 1) // max(1, workers))


def _init_worker(threads: int) -> None:
    torch.set_num_threads(threads)


def checked_workers(workers: object) -> int:
    """``workers`` as an ``int`` when it is a whole number >= 1; else a ConfigError."""
    number = whole_number(workers, 1)
    if number is None:
        raise ConfigError(f"--workers: expected an integer >= 1, the trials run at once (got {workers!r}).")
    return number


class Executor:
    """Args: workers: trials run at once."""

    def __init__(self, workers: int = 1, address: str | None = None) -> None:
        self.workers, self.address = checked_workers(workers), address

    def run(self, trials: list[Trial], out: str) -> Iterator[tuple[str, str]]:
        raise NotImplementedError


@EXECUTORS.register("local")
class LocalExecutor(Executor):
    """One worker: trials run in this process, one after the other. More: a pool of fresh
    (spawned) processes, each with ``cores // workers`` torch threads."""

    def run(self, trials: list[Trial], out: str) -> Iterator[tuple[str, str]]:
        threads = threads_per_worker(self.workers)
        if self.workers == 1:
            _init_worker(threads)
            for trial in trials:
                yield run_one(trial, out)
            return
        context = get_context("spawn")
        with ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=_init_worker, initargs=(threads,)
        ) as pool:
            futures = [pool.submit(run_one, trial, out) for trial in trials]
            for future in as_completed(futures):
                yield future.result()


@EXECUTORS.register("ray")
class RayExecutor(Executor):
    """The same trials as Ray tasks, on the cluster at ``address`` (``auto``: the one this
    machine belongs to) or on a local Ray started for the study; one CPU per trial thread."""

    def __init__(self, workers: int = 1, address: str | None = None) -> None:
        super().__init__(workers, address)
        if not self._joined():
            _refuse_unreachable(address)

    @staticmethod
    def _joined() -> bool:
        """Whether this process is already connected to a Ray cluster (``ray.init`` done)."""
        try:
            import ray
        except ImportError:
            return False
        return bool(ray.is_initialized())

    def run(self, trials: list[Trial], out: str) -> Iterator[tuple[str, str]]:
        try:
            import ray
        except ImportError:
            raise ConfigError(
                "--executor ray: expected the `ray` package (got none installed). "
                'Install it with pip install "priorkit[ray]", or use --executor local.'
            ) from None
        threads = threads_per_worker(self.workers)
        started_here = not ray.is_initialized()
        if started_here:
            ray.init(
                address=self.address,
                num_cpus=None if self.address else self.workers * threads,
                include_dashboard=False,
                log_to_driver=False,
            )
        try:
            task = ray.remote(num_cpus=threads)(_ray_trial)
            pending = [task.remote(trial, out, threads) for trial in trials]
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                yield ray.get(done[0])
        finally:
            if started_here:
                ray.shutdown()


def _refuse_unreachable(address: str | None, timeout: float = 5.0) -> None:
    """Refuse at once a cluster ``address`` (``host:port``, ``ray://host:port``) that nothing
    answers on: Ray itself retries for minutes before it gives up.

    Raises:
        ConfigError: naming the address and the fix.
    """
    if not address or address in ("auto", "local"):
        return
    parsed = urlsplit(address if "://" in address else f"//{address}")
    try:
        host, port = parsed.hostname, parsed.port
    except ValueError:  # a port that is not a number
        host, port = None, None
    if host is None or port is None:
        raise ConfigError(
            f"--address: expected auto, host:port or ray://host:port of a Ray cluster (got {address!r})."
        )
    try:
        with socket.create_connection((host, port), timeout):
            return
    except OSError as error:
        raise ConfigError(
            f"--address: expected a Ray cluster answering at {host}:{port} (got {error.strerror or error} "
            f"within {timeout:g} s). Start the cluster (ray start --head) or fix the address; without "
            "--address a local Ray is started for the study."
        ) from None


def _ray_trial(trial: Trial, out: str, threads: int) -> tuple[str, str]:
    _init_worker(threads)
    return run_one(trial, out)
