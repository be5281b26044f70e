"""Executors check their settings when built, before a study does any work."""

from __future__ import annotations

import socket

import pytest

from priorkit.ablation.executors import EXECUTORS, checked_workers
from priorkit.errors import ConfigError


def test_a_ray_address_that_nothing_answers_on_is_refused_at_once() -> None:
    """Ray itself retries an unreachable cluster for minutes; the executor says so in seconds."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        for address in (f"127.0.0.1:{port}", f"ray://127.0.0.1:{port}"):
            assert EXECUTORS.get("ray")(1, address).address == address  # something answers
    with pytest.raises(
        ConfigError, match=rf"--address: expected a Ray cluster answering at 127.0.0.1:{port} \(got"
    ):
        EXECUTORS.get("ray")(1, f"127.0.0.1:{port}")  # closed now
    for address in ("nonsense", "host:abc"):
        with pytest.raises(ConfigError, match=r"--address: expected auto, host:port or ray://host:port"):
            EXECUTORS.get("ray")(1, address)
    for address in (None, "auto"):
        assert EXECUTORS.get("ray")(1, address).address == address  # a local Ray, or the machine's cluster


def test_workers_are_whole_numbers_of_at_least_one() -> None:
    import numpy as np

    assert checked_workers(np.int64(3)) == 3 and type(checked_workers(np.int64(3))) is int
    for workers in (0, -2, 2.0, False, "1"):
        with pytest.raises(ConfigError, match=r"--workers: expected an integer >= 1"):
            EXECUTORS.get("local")(workers)  # type: ignore[arg-type]
