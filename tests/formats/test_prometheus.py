"""``--format prometheus``: parsed back by prometheus-client's own text parser.

The report is the real ``check --framework torch`` report of the build machine;
a GPU node's is the same report made into an 8-GPU node with one failed kernel.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from compataudit.cli.app import main
from compataudit.formats import render
from compataudit.plan import parse_document
from compataudit.plan.redact import redact_report

REAL_REPORT = Path(__file__).resolve().parents[1] / "plan" / "fixtures" / "report_cpu_vm_torch_smoke.json"


def samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        assert family.type == "gauge" and family.name.startswith("compataudit_")
        for s in family.samples:
            out.setdefault(s.name, []).append((dict(s.labels), s.value))
    return out


def gpu_report() -> Any:
    data = json.loads(REAL_REPORT.read_text())
    env = data["environment"]
    env["nvidia"] = {
        "status": "ok",
        "driver_version": "550.54.14",
        "gpus": [{"index": i, "name": "NVIDIA H100 80GB HBM3", "uuid": f"GPU-{i}aaa"} for i in range(2)],
    }
    data["smoke"] = [
        {"framework": "torch", "device": "cuda:0", "status": "pass"},
        {"framework": "torch", "device": "cuda:1", "status": "crash", "detail": "SIGSEGV"},
    ]
    data["findings"] += [
        {"code": "DRV001", "severity": "error", "title": "a"},
        {"code": "DRV001", "severity": "error", "title": "b"},
    ]
    data["summary"].update(errors=2, smoke_failed=1, exit_code=1)
    return parse_document(data, "gpu.json")[1]


def test_real_report_as_metrics() -> None:
    report = parse_document(json.loads(REAL_REPORT.read_text()), "r")[1]
    assert report is not None
    got = samples(render(report, "prometheus"))
    cpu = {"framework": "torch", "device": "cpu", "gpu": "", "UUID": ""}
    assert got["compataudit_smoke_passed"] == [(cpu, 1.0)]
    assert ({"component": "torch", "value": "2.13.0+cpu"}, 1.0) in got["compataudit_stack_info"]
    assert got["compataudit_exit_code"] == [({}, 0.0)]
    assert {s["severity"]: v for s, v in got["compataudit_findings_by_severity"]} == {
        "error": 0.0,
        "warning": 0.0,
        "info": 1.0,
    }
    assert got["compataudit_last_run_timestamp_seconds"][0][1] > 1.7e9


def test_findings_by_code_and_smoke_per_gpu() -> None:
    report = gpu_report()
    got = samples(render(report, "prometheus"))
    assert ({"code": "DRV001", "severity": "error"}, 2.0) in got["compataudit_findings"]
    passed = {(s["device"], s["gpu"], s["UUID"]): v for s, v in got["compataudit_smoke_passed"]}
    assert passed == {("cuda:0", "0", "GPU-0aaa"): 1.0, ("cuda:1", "1", "GPU-1aaa"): 0.0}
    states = [s["status"] for s, v in got["compataudit_smoke_status"] if v == 1.0]
    assert states == ["pass", "crash"]
    redacted = render(redact_report(report), "prometheus")
    assert "GPU-1aaa" not in redacted and "compataudit_smoke_passed" in redacted


def test_label_values_are_escaped() -> None:
    from dataclasses import replace

    from compataudit.model import Finding, Severity

    report = gpu_report()
    evil = Finding(code='X"}\n1', severity=Severity.ERROR, title="t")
    text = render(replace(report, findings=(evil,)), "prometheus")
    got = samples(text)
    assert ({"code": 'X"}\n1', "severity": "error"}, 1.0) in got["compataudit_findings"]


def test_check_writes_a_textfile_atomically(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "compataudit.prom"
    with pytest.raises(SystemExit) as exc:
        main(["check", "--snapshot", str(REAL_REPORT), "--no-smoke", "-f", "prometheus", "-o", str(target)])
    assert exc.value.code == 0
    assert os.listdir(tmp_path) == ["compataudit.prom"]  # no temporary file left beside it
    assert "compataudit_stack_info" in samples(target.read_text())
