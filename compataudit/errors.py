"""The errors that end a run with exit code 2 and a one-line message.

Only *tool* faults and bad input live here. A problem with the audited
environment is never an exception: it is a :class:`~compataudit.model.Finding`.
"""

from __future__ import annotations


class CompatAuditError(Exception):
    """Base class: ``str(exc)`` is the one line shown to the user."""


class UsageError(CompatAuditError):
    """A flag or argument that cannot be used (``--pin torch==not-a-version``)."""


class InputError(CompatAuditError):
    """A file the user gave us that is missing, unreadable or malformed."""


class MatrixError(CompatAuditError):
    """A compatibility-matrix file that does not fit the schema; names file and row."""


class ConfigError(CompatAuditError):
    """An invalid ``[tool.compataudit]`` key or value; names it."""
