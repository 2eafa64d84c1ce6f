"""The sandbox API on a Ray cluster (extra ``code-interpreter[ray]``).

Example::

    from code_interpreter.distributed import ClusterSandbox

    with ClusterSandbox(workers=2, max_execution_time=2000) as cluster:   # a local Ray cluster
        cluster.interpret("return context.n * 2", {"n": 21})                # -> "42"
        cluster.interpret_many(["fib(27)"] * 100)                            # spread over workers

See the README's "Scale-out on Ray". Importing ``code_interpreter`` does not import this
package, nor Ray.
"""

from __future__ import annotations

try:
    import ray  # noqa: F401
except ImportError as missing:  # pragma: no cover - depends on the environment
    raise ImportError(
        "code_interpreter.distributed needs Ray: pip install 'code-interpreter[ray]'"
    ) from missing

from ._cluster import ClusterSandbox

__all__ = ["ClusterSandbox"]
