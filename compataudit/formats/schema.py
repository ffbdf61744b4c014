"""The JSON Schema of the report (``report.schema.json``, shipped in the package).

:func:`validate_report` uses ``jsonschema`` when it is installed (a test
dependency, not a runtime one) and otherwise a small built-in validator for
the subset of JSON Schema our schema uses, so ``compataudit`` can check a
report on a machine that has only its runtime dependencies.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from typing import Any

SCHEMA_FILE = "report.schema.json"
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "null": (type(None),),
}


def schema_text() -> str:
    """The schema file's text, exactly as shipped."""
    return resources.files("compataudit").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """The report schema as a dict."""
    data: dict[str, Any] = json.loads(schema_text())
    return data


def validate_report(data: Any, *, use_jsonschema: bool = True) -> list[str]:
    """Every way ``data`` breaks the report schema, as ``$.path: problem`` lines (empty: valid)."""
    schema = load_schema()
    if use_jsonschema:
        try:
            import jsonschema
        except ImportError:
            pass
        else:
            validator = jsonschema.Draft202012Validator(schema)
            return [
                f"{_path(error.absolute_path)}: {error.message}"
                for error in sorted(validator.iter_errors(data), key=lambda e: e.path)
            ]
    errors: list[str] = []
    _check(data, schema, schema, "$", errors)
    return errors


def _path(parts: Any) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _is_type(value: Any, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _JSON_TYPES[name])


def _check(value: Any, node: dict[str, Any], root: dict[str, Any], path: str, errors: list[str]) -> None:
    """The built-in validator: $ref, type, const, enum, required, properties,
    additionalProperties, items, pattern, minLength, minimum."""
    if "$ref" in node:
        target: Any = root
        for key in node["$ref"].removeprefix("#/").split("/"):
            target = target[key]
        _check(value, target, root, path, errors)
        return
    types = node.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else types
        if not any(_is_type(value, n) for n in names):
            errors.append(f"{path}: {value!r} is not of type {' or '.join(names)}")
            return
    if "const" in node and value != node["const"]:
        errors.append(f"{path}: {value!r} was expected to be {node['const']!r}")
    if "enum" in node and value not in node["enum"]:
        errors.append(f"{path}: {value!r} is not one of {node['enum']}")
    if isinstance(value, str):
        if "pattern" in node and not re.search(node["pattern"], value):
            errors.append(f"{path}: {value!r} does not match {node['pattern']!r}")
        if len(value) < node.get("minLength", 0):
            errors.append(f"{path}: {value!r} is too short")
    if (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and "minimum" in node
        and value < node["minimum"]
    ):
        errors.append(f"{path}: {value!r} is less than the minimum of {node['minimum']}")
    if isinstance(value, dict):
        _check_object(value, node, root, path, errors)
    if isinstance(value, list) and "items" in node:
        for index, item in enumerate(value):
            _check(item, node["items"], root, f"{path}[{index}]", errors)


def _check_object(
    value: dict[str, Any], node: dict[str, Any], root: dict[str, Any], path: str, errors: list[str]
) -> None:
    properties: dict[str, Any] = node.get("properties", {})
    errors.extend(
        f"{path}: {key!r} is a required property" for key in node.get("required", ()) if key not in value
    )
    extra = node.get("additionalProperties", True)
    for key, item in value.items():
        if key in properties:
            _check(item, properties[key], root, f"{path}.{key}", errors)
        elif extra is False:
            errors.append(f"{path}: additional property {key!r} is not allowed")
        elif isinstance(extra, dict):
            _check(item, extra, root, f"{path}.{key}", errors)
