"""`with` support shared by the sync sandboxes: leaving the block kills the sandbox, gracefully
unless the block raised.

PYTEST_DONT_REWRITE (see __init__)."""

from __future__ import annotations

from types import TracebackType
from typing import TypeVar

__all__ = ["KillOnExit"]

_Self = TypeVar("_Self", bound="KillOnExit")


class KillOnExit:
    def kill(self, graceful: bool = True) -> None:
        raise NotImplementedError

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.kill(graceful=exc_type is None)
