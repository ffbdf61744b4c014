from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import compataudit.nox as ca
from compataudit.model import (
    Environment,
    SmokeResult,
    SmokeStatus,
    to_jsonable,
)
from tests.envs import environment, pins_of

FIXTURES = Path(__file__).parent / "fixtures"


def _env(**packages: str) -> Environment:
    return environment(*pins_of(**packages))


@pytest.mark.parametrize(
    ("installed", "expected", "problems"),
    [
        ({"torch": "2.13.0+cpu"}, {"torch": "2.13.0"}, []),  # no variant asked: any build
        ({"torch": "2.13.0+cpu"}, {"torch": "2.13.0+cpu"}, []),
        (
            {"torch": "2.13.0+cpu"},
            {"torch": "2.13.0+cu126"},
            ["torch: expected 2.13.0+cu126, found 2.13.0+cpu"],
        ),
        ({"torch": "2.12.1"}, {"torch": "2.12.0"}, ["torch: expected 2.12.0, found 2.12.1"]),
        ({"torch": "2.12.1"}, {"torch": "2.12.*"}, []),
        ({"torch": "2.13.0"}, {"torch": "2.12.*"}, ["torch: expected 2.12.*, found 2.13.0"]),
        (
            {"jax": "0.10.2"},
            {"jax": "0.10.2", "jaxlib": "0.10.2"},
            ["jaxlib: expected 0.10.2, not installed"],
        ),
        ({"tensorflow_cpu": "2.21.0"}, {"TensorFlow-CPU": "2.21.0"}, []),
        ({"mylib": "weird-build"}, {"mylib": "weird-build"}, []),
    ],
)
def test_cell_differences(installed: dict[str, str], expected: dict[str, str], problems: list[str]) -> None:
    assert ca.cell_differences(_env(**installed), expected) == problems


def test_smoke_failures_are_differences() -> None:
    smoke = [
        SmokeResult("torch", "cpu", SmokeStatus.PASS),
        SmokeResult("jax", "cpu", SmokeStatus.CRASH, detail="signal 11"),
        SmokeResult("tensorflow", "cpu", SmokeStatus.SKIP),
    ]
    assert ca.cell_differences(_env(torch="2.13.0"), {"torch": "2.13.0"}, smoke) == [
        "smoke jax cpu float32: crash (signal 11)"
    ]


@pytest.mark.parametrize(
    ("cell", "args"),
    [
        ({"torch": "2.13.0", "numpy": "2.1.0"}, ["torch==2.13.0", "numpy==2.1.0"]),
        (
            {"torch": "2.5.1+cu124", "torchvision": "0.20.1+cu124"},
            [
                "torch==2.5.1+cu124",
                "torchvision==0.20.1+cu124",
                "--extra-index-url",
                "https://download.pytorch.org/whl/cu124",
            ],
        ),
        ({"jax": "0.10.2+cu12"}, ["jax==0.10.2+cu12"]),  # not a torch package: no torch index
    ],
)
def test_install_args(cell: dict[str, str], args: list[str]) -> None:
    assert ca.install_args(cell) == args


def _pip_report(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (FIXTURES / f"pip-dry-run-report.{name}.json").read_text(encoding="utf-8")
    )
    return data


@pytest.mark.parametrize(
    ("report", "cell", "kwargs", "reason"),
    [
        ("torch-2.13.0", {"torch": "2.13.0"}, {}, None),  # the local CPU wheel
        ("torch-2.12.0", {"torch": "2.12.0"}, {}, "resolves to a CUDA build"),
        ("torch-2.12.0", {"torch": "2.12.0"}, {"allow_cuda": True}, "not on this machine's local"),
        ("torch-2.12.0", {"torch": "2.12.0"}, {"allow_cuda": True, "allow_download": True}, None),
        (
            "jax-0.10.1",
            {"jax": "0.10.1", "jaxlib": "0.10.1"},
            {},
            "jax, jaxlib not on this machine's local package sources",
        ),
        ("jax-0.10.1", {"jax": "0.10.1", "jaxlib": "0.10.1"}, {"allow_download": True}, None),
    ],
)
def test_skip_reason_from_recorded_pip_reports(
    report: str, cell: dict[str, str], kwargs: dict[str, bool], reason: str | None
) -> None:
    found = ca.skip_reason(_pip_report(report), cell, **kwargs)
    if reason is None:
        assert found is None
    else:
        assert found is not None and reason in found


def test_compatible_sets_and_params() -> None:
    sets = ca.compatible_sets("jax", "jaxlib", python="3.11", latest=2)
    assert sets[0] == {"jax": "0.10.2", "jaxlib": "0.10.2"} and len(sets) == 2
    params = ca.params("jax", "jaxlib", python="3.11", latest=1)
    assert [p.id for p in params] == ["jax-0.10.2_jaxlib-0.10.2"]


def _report_json(env: Environment, exit_code: int = 0) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "tool": {"name": "compataudit", "version": "0.1.0"},
        "environment": to_jsonable(env),
        "findings": [],
        "smoke": [to_jsonable(SmokeResult("torch", "cpu", SmokeStatus.PASS))],
        "summary": {"errors": 0, "warnings": 0, "infos": 0, "smoke_failed": 0, "exit_code": exit_code},
    }


class FakeSession:
    """Stands in for nox.Session: `compataudit check` in the session writes a recorded report."""

    def __init__(self, report: dict[str, Any]) -> None:
        self.report = report
        self.calls: list[tuple[str, ...]] = []

    def run(self, *args: str, **kwargs: Any) -> None:
        self.calls.append(args)
        out = args[args.index("-o") + 1]
        Path(out).write_text(json.dumps(self.report), encoding="utf-8")

    def error(self, message: str) -> None:
        raise RuntimeError(f"session error: {message}")


def test_assert_cell_with_session() -> None:
    session = FakeSession(_report_json(_env(torch="2.13.0+cpu")))
    ca.assert_cell(session, {"torch": "2.13.0"}, smoke=True)
    assert session.calls[0][:2] == ("compataudit", "check")
    assert "--no-smoke" not in session.calls[0]
    with pytest.raises(
        RuntimeError,
        match=r"session error: environment is not the cell "
        r"torch==2\.12\.0: torch: expected 2\.12\.0",
    ):
        ca.assert_cell(session, {"torch": "2.12.0"})
    assert "--no-smoke" in session.calls[1]


def test_assert_cell_in_process() -> None:
    """Audits this interpreter: the .venv holds numpy (a real probe, no mocks)."""
    from importlib.metadata import version

    ca.assert_cell(None, {"numpy": version("numpy")})
    with pytest.raises(ca.CellMismatch, match=r"numpy: expected 0\.0\.1"):
        ca.assert_cell(None, {"numpy": "0.0.1"})


def test_merge_reports(tmp_path: Path) -> None:
    (tmp_path / "torch-2.13.0.json").write_text(
        json.dumps(_report_json(_env(torch="2.13.0+cpu", numpy="2.4.6"))), encoding="utf-8"
    )
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    lines = ca.merge_reports(tmp_path.glob("*.json")).splitlines()
    assert lines[0].split() == ["cell", "python", "stack", "errors", "warnings", "smoke", "exit"]
    assert lines[2].startswith("broken") and "unreadable" in lines[2]
    assert lines[3].split() == [
        "torch-2.13.0",
        "3.11.7",
        "torch==2.13.0+cpu",
        "0",
        "0",
        "1",
        "pass",
        "/",
        "0",
        "fail",
        "0",
    ]
    assert ca.merge_reports([]) == "no reports"
