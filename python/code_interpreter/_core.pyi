from collections.abc import Callable
from typing import Any, TypeVar

V8_HEADERS_VERSION: str
RECYCLES_CONTEXTS: bool
DURATION_SMALLEST_MS: float
DURATION_GROWTH: float
DURATION_BUCKETS: int

def v8_version() -> str: ...
def thread_parking() -> dict[str, int]: ...

class CancelToken:
    def __init__(self) -> None: ...
    def cancel(self) -> None: ...
    @property
    def cancelled(self) -> bool: ...

_Method = TypeVar("_Method", bound=Callable[..., Any])

class QuietPath:
    quiet: bool
    def __init__(self, native: NativeSandbox, approved: set[str]) -> None: ...

def interpret_method(checked: _Method) -> _Method: ...

class ModuleStore:
    def __init__(
        self,
        *,
        packages: list[tuple[str, str, dict[str, str] | None, dict[str, int]]],
        files: list[tuple[str, bytes, int, bool]],
        directories: dict[str, str],
        allowed: list[tuple[str, int]],
        builtins: list[str],
    ) -> None: ...
    @property
    def file_count(self) -> int: ...
    def resolve(self, from_file: int, request: str) -> tuple[str | None, str | None]: ...

class NativeSandbox:
    def __init__(
        self,
        *,
        default_timeout_ms: float,
        memory_limit_mb: int,
        max_isolates: int,
        keep_idle: int,
        persistent_context: bool,
        cache_scripts: bool = True,
        cpu_quota: float = 1.0,
        console_max_entries: int = 1000,
        console_max_bytes: int = 1048576,
        timers: bool = False,
        webassembly: bool = False,
        max_timers: int = 1000,
        allowed_globals: list[str] = ...,
        custom_globals: dict[str, Any] | None = None,
        modules: ModuleStore | None = None,
        expose: dict[str, Callable[..., Any]] | None = None,
    ) -> None: ...
    def evaluate(
        self,
        code: str,
        context: dict[str, Any] | None,
        timeout_ms: float = ...,
        raw: bool = False,
        token: CancelToken | None = None,
    ) -> Any: ...
    def execute(
        self,
        code: str,
        context: dict[str, Any] | None,
        timeout_ms: float = ...,
        raw: bool = False,
        token: CancelToken | None = None,
    ) -> tuple[Any, list[tuple[str, str]], bool, float, float]: ...
    def evaluate_many(
        self, codes: list[str], context: dict[str, Any] | None, timeout_ms: float, raw: bool
    ) -> list[tuple[bool, Any, float]]: ...
    def prewarm(self, count: int) -> None: ...
    def close(self, graceful: bool, wait: bool = True) -> None: ...
    @property
    def closing(self) -> bool: ...
    @property
    def executions(self) -> int: ...
    @property
    def in_flight(self) -> int: ...
    def stats(self) -> dict[str, int]: ...
    def metrics(self) -> dict[str, Any]: ...
    def duration_buckets(self) -> list[tuple[int, int]]: ...
    def memory(self) -> tuple[int, int, int]: ...
    def set_read_heap(self, on: bool) -> None: ...

def host_interrupt_fd() -> int: ...
def interrupt_host_call(token: int) -> None: ...
def set_host_interrupted_class(cls: type[BaseException]) -> None: ...
def set_host_pending_class(cls: type) -> None: ...
