"""One local Ray cluster (2 CPUs) for the whole test session, stopped at its end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

ray = pytest.importorskip("ray", reason="the [ray] extra is not installed")

from code_interpreter.distributed import ClusterSandbox  # noqa: E402


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[None]:
    ray.init(address="local", num_cpus=2, include_dashboard=False, configure_logging=False)
    yield
    ray.shutdown()


# The session's cluster has 2 CPUs; each ClusterSandbox of the tests reserves a quarter CPU per
# worker, so that several can live at once (the module's shared one and a test's own).
SHARE = {"cpus_per_worker": 0.25}


@pytest.fixture(scope="module")
def cluster(ray_cluster: None) -> Iterator[ClusterSandbox]:
    """Two workers with default options, shared by a module's tests."""
    with ClusterSandbox(workers=2, max_execution_time=10_000, **SHARE) as sandbox:
        yield sandbox
