"""The use cases, as one object the command line calls: draft, translate, check, edit, review,
export, import.

Each stage lives in its own module; the use cases sequence them, by kind: pipeline/drafting.py
(comments, papers, translations, checks, hand edits), pipeline/publishing.py (exports, imports,
his vault), pipeline/syncing.py (sync and new: his vault as the place he works),
pipeline/reports.py (reviews, tags, glossary ideas), on the shared services of
pipeline/services.py. None knows anything of click or terminals: they take values and
callbacks, and return results; `log` receives progress and diagnostics.
"""

from __future__ import annotations

from pipeline.reports import Reports
from pipeline.services import EditorCallback, Log
from pipeline.syncing import Syncing

__all__ = ["EditorCallback", "Log", "Workflow"]


class Workflow(Syncing, Reports):
    """Every use case of digest."""
