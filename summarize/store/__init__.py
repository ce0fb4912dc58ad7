"""Briefs kept in SQLite, and their threats tracked across articles.

Library code: no CLI, no model client. `Store` writes (`summarize.store.db`), the
linker decides which reports are one threat (`summarize.store.linker`), `queries`
answers the questions asked of tracked threats.
"""

from summarize.store.db import STORE_ENV, ImportReport, Store, Stored, default_path

__all__ = ["STORE_ENV", "ImportReport", "Store", "Stored", "default_path"]
