"""A ClusterSandbox joining a Ray cluster that runs on its own (`ray start --head`), as on a
real deployment: the driver connects, runs, and leaves the cluster running."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

DRIVER = """
import sys, ray
from code_interpreter.distributed import ClusterSandbox
with ClusterSandbox(address=sys.argv[1], workers=1) as cluster:
    print(cluster.interpret("6 * 7"), cluster.get_status()["workers"][0]["node"])
    print(*sorted(node["NodeID"] for node in ray.nodes() if node["Alive"]))
print(ray.is_initialized())
"""


# Ray's token authentication is for clusters reachable from elsewhere; this one is on loopback.
ENV = {**os.environ, "RAY_AUTH_MODE": "disabled"}


@pytest.fixture
def head_node() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ray_cli = Path(sys.executable).with_name("ray")
    head = subprocess.Popen(
        [
            str(ray_cli),
            "start",
            "--head",
            "--block",
            f"--port={port}",
            "--num-cpus=1",
            "--include-dashboard=false",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=ENV,
    )
    yield head, f"127.0.0.1:{port}"
    # The head and everything it started (GCS, raylet, workers) share its process group.
    os.killpg(head.pid, signal.SIGKILL)
    head.wait(15)


def test_joins_a_running_cluster_and_leaves_it_running(
    head_node: tuple[subprocess.Popen[bytes], str],
) -> None:
    head, address = head_node
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, address],
        capture_output=True,
        text=True,
        timeout=180,
        env=ENV,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    ran, nodes, initialized = done.stdout.splitlines()[-3:]
    result, worker_node = ran.split()
    assert result == "42"
    assert nodes.split() == [worker_node]  # the worker ran on the head's node
    assert initialized == "False"  # the driver disconnected...
    assert head.poll() is None  # ...and the cluster runs on
