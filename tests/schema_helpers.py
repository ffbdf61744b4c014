"""Reusable assertion: a JSON value is a valid compataudit report (schema_version 1).

Use it on every JSON the tool emits::

    from tests.schema_helpers import assert_valid_report   # or: from schema_helpers import ...
    assert_valid_report(json.loads(result.stdout))
"""

from __future__ import annotations

from typing import Any

from compataudit.formats.schema import validate_report


def assert_valid_report(data: Any) -> None:
    """Fail with every schema violation listed when ``data`` is not a valid report."""
    errors = validate_report(data)
    assert not errors, "report does not match report.schema.json:\n" + "\n".join(errors)
