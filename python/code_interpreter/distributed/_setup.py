"""Setting a ClusterSandbox up and taking it down: its options split between the workers'
sandboxes and the cluster, Ray started or joined, and everything ended.

PYTEST_DONT_REWRITE (see code_interpreter/__init__)."""

from __future__ import annotations

import contextlib
import os
from typing import Any

import ray

from .._errors import ConfigurationError
from .._host import check_expose
from .._options import RateLimiting, SandboxOptions, _from_mapping
from ._dispatcher import CONTROL_TIMEOUT_S

__all__ = ["end_cluster", "split_options", "start_ray"]


def split_options(
    options: dict[str, Any],
) -> tuple[SandboxOptions, RateLimiting | None, str | None]:
    """The workers' sandbox options, the cluster-wide limits and the default tenant."""
    options = dict(options)
    limits = _from_mapping(RateLimiting, "rate_limiting", options.pop("rate_limiting", None))
    tenant = options.pop("tenant_id", None)
    if tenant is not None and (not isinstance(tenant, str) or not tenant):
        raise ConfigurationError(f"tenant_id must be a non-empty str, not {tenant!r}")
    if options.get("allowed_modules") or options.get("custom_security"):
        # Workers may run in another folder: relative module folders are resolved here.
        paths = options.get("module_paths")
        if paths is None and os.path.isdir("node_modules"):
            paths = ["node_modules"]
        if paths is not None and not isinstance(paths, (str, bytes)):
            options["module_paths"] = [os.path.abspath(os.fspath(p)) for p in paths]
    sandbox_options = SandboxOptions.from_kwargs(options)
    if sandbox_options.expose:
        # Workers hold sync sandboxes: an async host function would be refused there.
        check_expose(sandbox_options.expose, allow_async=False)
    return sandbox_options, limits, tenant


def start_ray(address: str | None, cpus_needed: int) -> None:
    if address is None:
        # "local": a new cluster even when `ray start` left one running on this machine.
        ray.init(
            address="local",
            num_cpus=max(os.cpu_count() or 1, cpus_needed),
            include_dashboard=False,
            configure_logging=False,
        )
    else:
        ray.init(address=address, configure_logging=False)


def end_cluster(actors: list[Any], ledger: Any, cluster_id: str, owns_ray: bool) -> None:
    """Kills the workers, releases the tenants' leases, and ends Ray when it was ours."""
    if not ray.is_initialized():
        return
    for actor in actors:
        with contextlib.suppress(Exception):
            ray.kill(actor)
    if ledger is not None:
        with contextlib.suppress(Exception):
            ray.get(ledger.release_prefix.remote(f"{cluster_id}/"), timeout=CONTROL_TIMEOUT_S)
    if owns_ray:
        ray.shutdown()
