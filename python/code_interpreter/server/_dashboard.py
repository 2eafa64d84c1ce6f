"""The live dashboard: one self-contained page (dashboard.html: no asset from anywhere else)
that polls /api/stats every second and draws the last minute on canvases.

PYTEST_DONT_REWRITE (see code_interpreter.__init__)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DASHBOARD_HTML"]

DASHBOARD_HTML = (Path(__file__).with_name("dashboard.html")).read_text(encoding="utf-8")
