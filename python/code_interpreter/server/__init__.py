"""The HTTP service: `create_app` (an ASGI app on Starlette) and `python -m code_interpreter
serve`. Needs the ``server`` extra (``pip install code-interpreter[server]``).

PYTEST_DONT_REWRITE (see code_interpreter.__init__)."""

from __future__ import annotations

from ._app import create_app
from ._settings import ServerSettings, keys_from_environment, parse_rate_limit

__all__ = ["ServerSettings", "create_app", "keys_from_environment", "parse_rate_limit"]
