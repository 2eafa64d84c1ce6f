"""Tenants on a ClusterSandbox: each always on the same worker, with its own sandbox (its
persistent state follows it, tenants stay apart), and the rate limits holding cluster-wide."""

from __future__ import annotations

import pytest

from code_interpreter import RateLimitExceeded
from code_interpreter.distributed import ClusterSandbox

from .conftest import SHARE

COUNTER = "globalThis.n = (globalThis.n || 0) + 1; n"


def worker_of(cluster: ClusterSandbox, tenant: str) -> int:
    holders = [w["index"] for w in cluster.get_status()["workers"] if tenant in w["tenants"]]
    assert len(holders) == 1, holders
    return holders[0]


def test_a_tenant_keeps_its_worker_and_its_state(ray_cluster: None) -> None:
    with ClusterSandbox(workers=2, persistent_context=True, **SHARE) as cluster:
        assert [cluster.interpret(COUNTER, tenant_id="alice") for _ in range(3)] == ["1", "2", "3"]
        assert cluster.interpret(COUNTER, tenant_id="bob") == "1"
        # Submitted calls and batches of a tenant reach the same sandbox.
        futures = [cluster.submit(COUNTER, tenant_id="alice") for _ in range(5)]
        assert sorted(int(f.result(timeout=60)) for f in futures) == [4, 5, 6, 7, 8]
        assert cluster.interpret("globalThis.n", tenant_id="bob") == "1"
        home = worker_of(cluster, "alice")
        assert worker_of(cluster, "bob") != home  # placed where fewer tenants were
        before = cluster.get_status()["workers"][home]["executions"]
        cluster.interpret_many([COUNTER] * 4, tenant_id="alice")
        assert cluster.get_status()["workers"][home]["executions"] == before + 4
        assert cluster.interpret("globalThis.n", tenant_id="alice") == "12"
        # Executions without a tenant do not see any tenant's state.
        assert cluster.interpret("typeof globalThis.n") == "undefined"


def test_the_default_tenant_option_routes_untagged_calls(ray_cluster: None) -> None:
    with ClusterSandbox(workers=2, persistent_context=True, tenant_id="home", **SHARE) as cluster:
        assert [cluster.interpret(COUNTER) for _ in range(4)] == ["1", "2", "3", "4"]
        assert cluster.interpret(COUNTER, tenant_id="other") == "1"


def test_bad_tenant_ids_are_refused(cluster: ClusterSandbox) -> None:
    for bad in ("", 3):
        with pytest.raises(ValueError):
            cluster.interpret("1", tenant_id=bad)  # type: ignore[arg-type]


def test_sandboxes_per_user_hold_across_cluster_sandboxes(ray_cluster: None) -> None:
    limits = {"rate_limiting": {"max_sandboxes_per_user": 1}}
    first = ClusterSandbox(workers=1, **limits, **SHARE)
    second = ClusterSandbox(workers=1, **limits, **SHARE)
    try:
        assert first.interpret("1", tenant_id="carol") == "1"
        with pytest.raises(RateLimitExceeded, match="carol"):
            second.interpret("1", tenant_id="carol")
        assert second.interpret("2", tenant_id="dave") == "2"
        first.kill()
        assert second.interpret("3", tenant_id="carol") == "3"
    finally:
        first.kill()
        second.kill()


def test_executions_per_minute_hold_over_all_workers(ray_cluster: None) -> None:
    limits = {"rate_limiting": {"max_executions_per_minute": 6}}
    with ClusterSandbox(workers=2, **limits, **SHARE) as cluster:
        assert cluster.interpret_many(["1"] * 4) == ["1"] * 4
        assert all(w["executions"] >= 2 for w in cluster.get_status()["workers"])
        assert cluster.interpret("2") == "2"
        assert cluster.submit("3").result(timeout=60) == "3"
        with pytest.raises(RateLimitExceeded, match="6 executions per minute"):
            cluster.interpret("4")
        # Each tenant has a window of its own.
        assert cluster.interpret("5", tenant_id="erin") == "5"


def test_idle_tenants_beyond_capacity_are_dropped(ray_cluster: None) -> None:
    with ClusterSandbox(
        workers=1, persistent_context=True, tenants_per_worker=2, **SHARE
    ) as cluster:
        for tenant in ("t1", "t2", "t3"):
            cluster.interpret(COUNTER, tenant_id=tenant)
        assert cluster.get_status()["workers"][0]["tenants"] == ["t2", "t3"]
        # t1's sandbox went with its state; it starts afresh.
        assert cluster.interpret(COUNTER, tenant_id="t1") == "1"
        metrics = cluster.get_metrics()["executions"]
        assert metrics["total"] == 4
