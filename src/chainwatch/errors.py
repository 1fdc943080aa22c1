"""One root error for chainwatch and one subclass per concept.

The command line converts these into one line each; the traceback is shown only
with ``--debug``.
"""

from __future__ import annotations


class ChainwatchError(Exception):
    """Root of every error chainwatch raises on purpose."""


class InputError(ChainwatchError):
    """A record or file that cannot be used, with where it is and which field failed."""

    def __init__(self, reason: str, *, file: str = "", position: str = "", field: str = ""):
        self.reason = reason
        self.file = file
        self.position = position
        self.field = field
        super().__init__(self.describe())

    def describe(self) -> str:
        where = ", ".join(p for p in (self.file, self.position) if p)
        what = f"field {self.field!r}: " if self.field else ""
        return f"{where}: {what}{self.reason}" if where else f"{what}{self.reason}"


class SettingsError(ChainwatchError):
    """An invalid command-line option or settings value."""


class StoreError(ChainwatchError):
    """The database could not be opened, migrated or written."""
