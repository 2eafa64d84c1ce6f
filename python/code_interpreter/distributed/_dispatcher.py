"""Where each execution of a ClusterSandbox runs, and how it gets there.

Each worker position (a slot) has a queue. A call goes straight out while its worker has
fewer than `MAX_OUTSTANDING` batches under way; otherwise it waits in the queue, and the next
batch takes everything waiting (up to `MAX_BATCH`). A lone call thus pays one Ray round trip,
and under load the round trips are shared by many calls instead of adding up.

A worker process that ends fails the calls it held (SandboxError); its slot gets a new
worker, which also takes the calls still waiting in the queue.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import itertools
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ray

from .._errors import SandboxError, SandboxKilled
from ._worker import arrived

if TYPE_CHECKING:
    from ._worker import Job, Outcome

__all__ = ["Dispatcher", "Slot"]

MAX_OUTSTANDING = 2
MAX_BATCH = 64
# How long control calls (status, metrics, close) may take before a worker counts as unresponsive.
CONTROL_TIMEOUT_S = 30.0


@dataclasses.dataclass
class Slot:
    """One worker position: its current actor, what is known of its process, its load."""

    index: int
    actor: Any
    restarts: int = 0
    pid: int | None = None
    node: str | None = None
    node_ip: str | None = None
    in_flight: int = 0
    outstanding: int = 0
    queue: deque[tuple[Job, concurrent.futures.Future[Any]]] = dataclasses.field(
        default_factory=deque
    )

    def learn(self, info: dict[str, Any]) -> None:
        self.pid, self.node, self.node_ip = info["pid"], info["node"], info["node_ip"]


class Dispatcher:
    def __init__(
        self,
        make_actor: Callable[[], Any],
        workers: int,
        on_replace: Callable[[list[Slot]], None],
    ) -> None:
        self._make_actor = make_actor
        self._on_replace = on_replace
        self._lock = threading.Lock()
        # Signalled whenever calls get their outcomes (a graceful kill waits for all of them).
        self._settled_calls = threading.Condition(self._lock)
        self._active = True
        self._next = itertools.count()
        self._tenant_slots: dict[str, int] = {}
        self.finished = 0
        self.slots = [Slot(index, make_actor()) for index in range(workers)]

    @property
    def tenants(self) -> int:
        return len(self._tenant_slots)

    def submit(self, job: Job) -> concurrent.futures.Future[Any]:
        """Sends `job` ((method, tenant, code, context, options)) to its worker; the future
        gives the outcome's value or raises its exception."""
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        future.set_running_or_notify_cancel()
        with self._lock:
            slot = self._place(job[1])
            slot.in_flight += 1
            slot.queue.append((job, future))
        self._pump(slot)
        return future

    def run_share(self, tenant: str | None, codes: list[str], context: Any, options: Any) -> Any:
        """Starts one share of an interpret_many batch on a worker; returns a function that
        waits for its outcomes."""
        with self._lock:
            slot = self._place(tenant)
            slot.in_flight += len(codes)
        ref = slot.actor.run_many.remote(tenant, codes, context, options)

        def outcomes() -> list[Outcome]:
            try:
                result: list[Outcome] = ray.get(ref)
                return [(ok, value if ok else arrived(value)) for ok, value in result]
            except ray.exceptions.RayActorError as error:
                return [(False, self._lost(slot, error))] * len(codes)
            except ray.exceptions.RayError as error:
                return [(False, SandboxError(f"worker {slot.index} failed: {error}"))] * len(codes)
            finally:
                self._settled(slot, len(codes))

        return outcomes

    def close(self) -> list[Slot]:
        """Stops dispatching; calls still waiting in a queue raise SandboxKilled. Returns the
        slots, for the caller to close their workers."""
        with self._lock:
            self._active = False
            waiting = [entry for slot in self.slots for entry in slot.queue]
            for slot in self.slots:
                slot.in_flight -= len(slot.queue)
                slot.queue.clear()
        for _, future in waiting:
            future.set_exception(SandboxKilled("this ClusterSandbox was killed"))
        return list(self.slots)

    # -- internals -----------------------------------------------------------------------
    def _place(self, tenant: str | None) -> Slot:
        """The tenant's slot (a new tenant goes where the fewest tenants are), or the least
        loaded one. Call with the lock held."""
        if not self._active:
            raise SandboxKilled("this ClusterSandbox was killed")
        slots = self.slots
        if tenant is None:
            start = next(self._next) % len(slots)
            return min(slots[start:] + slots[:start], key=lambda slot: slot.in_flight)
        index = self._tenant_slots.get(tenant)
        if index is None:
            counts = [0] * len(slots)
            for placed in self._tenant_slots.values():
                counts[placed] += 1
            index = counts.index(min(counts))
            self._tenant_slots[tenant] = index
        return slots[index]

    def _pump(self, slot: Slot) -> None:
        """Sends what waits in `slot`'s queue while its worker has room for another batch."""
        while True:
            with self._lock:
                if (
                    not self._active
                    or self.slots[slot.index] is not slot
                    or slot.outstanding >= MAX_OUTSTANDING
                    or not slot.queue
                ):
                    return
                batch = [slot.queue.popleft() for _ in range(min(MAX_BATCH, len(slot.queue)))]
                slot.outstanding += 1
            ref = slot.actor.run_batch.remote([job for job, _ in batch])
            ref.future().add_done_callback(
                lambda done, slot=slot, batch=batch: self._batch_done(slot, batch, done)
            )

    def _batch_done(
        self,
        slot: Slot,
        batch: list[tuple[Job, concurrent.futures.Future[Any]]],
        done: concurrent.futures.Future[list[Outcome]],
    ) -> None:
        try:
            outcomes = done.result()
        except ray.exceptions.RayActorError as error:
            lost = self._lost(slot, error)
            outcomes = [(False, lost)] * len(batch)
        except ray.exceptions.RayError as error:
            failed = SandboxError(f"worker {slot.index} failed: {error}")
            outcomes = [(False, failed)] * len(batch)
        with self._lock:
            slot.outstanding -= 1
        self._settled(slot, len(batch))
        for (_, future), (ok, value) in zip(batch, outcomes):
            if ok:
                future.set_result(value)
            else:
                future.set_exception(arrived(value))
        self._pump(self.slots[slot.index])

    def wait_settled(self, timeout: float) -> None:
        """Waits (at most `timeout` seconds) until every call sent to a worker has its outcome
        here: a worker that finished a call may not be stopped before its answer arrived."""
        with self._settled_calls:
            self._settled_calls.wait_for(
                lambda: all(slot.in_flight <= 0 for slot in self.slots), timeout
            )

    def _settled(self, slot: Slot, count: int) -> None:
        with self._lock:
            slot.in_flight -= count
            self.finished += count
            self._settled_calls.notify_all()

    def _lost(self, slot: Slot, error: BaseException) -> SandboxError:
        """A worker process ended under its calls: they fail, the slot gets a new worker
        (once, whoever notices first) which takes over the queue, and the slot's tenants
        start afresh there."""
        with self._lock:
            if not self._active:
                return SandboxKilled("this ClusterSandbox was killed during the execution")
            replacement = None
            if self.slots[slot.index] is slot:
                replacement = Slot(slot.index, self._make_actor(), restarts=slot.restarts + 1)
                replacement.queue, slot.queue = slot.queue, deque()
                replacement.in_flight = len(replacement.queue)
                slot.in_flight -= replacement.in_flight
                self.slots[slot.index] = replacement
                slots = list(self.slots)
        if replacement is not None:
            self._on_replace(slots)
            threading.Thread(target=_learn_process, args=(replacement,), daemon=True).start()
            self._pump(replacement)
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        return SandboxError(
            f"worker {slot.index} (pid {slot.pid}) died during the execution and was replaced: "
            f"{reason}"
        )


def _learn_process(slot: Slot) -> None:
    try:
        ok, info = ray.get(slot.actor.ready.remote(), timeout=CONTROL_TIMEOUT_S)
    except Exception:
        return
    if ok:
        slot.learn(info)


def gather(refs: list[Any]) -> list[Any]:
    """Each ref's value, or None for a worker that failed or did not answer in time."""
    if not refs:
        return []
    ray.wait(refs, num_returns=len(refs), timeout=CONTROL_TIMEOUT_S)
    values = []
    for ref in refs:
        try:
            values.append(ray.get(ref, timeout=0))
        except Exception:
            values.append(None)
    return values
