"""tools/gpu_record.py on this (GPU-less) machine: it must record "no GPU" without failing,
so the script that will meet a real GPU cannot rot before it gets there."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.schema_helpers import assert_valid_report
from tools import gpu_record

ROOT = Path(__file__).resolve().parents[2]


def test_scrubber_replaces_uuids_serials_and_places() -> None:
    scrub = gpu_record.Scrubber()
    scrub.words["node-17.cluster"] = "<host>"
    text = (
        "GPU UUID : GPU-5f3a9c2e-1b7d-4e8f-a0b1-c2d3e4f5a6b7\n"
        "    Serial Number : 1652823054719\n<serial>1652823054719</serial> on node-17.cluster\n"
        "MIG-11111111-2222-3333-4444-555555555555 GPU-5F3A9C2E-1B7D-4E8F-A0B1-C2D3E4F5A6B7"
    )
    out = scrub.text(text)
    assert "5f3a9c2e" not in out.lower() and "1652823054719" not in out and "node-17" not in out
    # the same GPU keeps the same stand-in, whatever the case it was written in
    assert out.count("GPU-00000000-0000-0000-0000-000000000000") == 2
    assert "MIG-00000001-0000-0000-0000-000000000000" in out


@pytest.mark.frameworks
@pytest.mark.slow
def test_records_a_machine_without_gpu(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gpu_record.py"), str(out), "--framework", "torch"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},  # no nvidia-smi on this PATH
    )
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    by_file = {e["file"]: e for e in manifest}
    assert by_file["nvidia-smi-q.txt"].get("error") == "nvidia-smi: not found"
    assert by_file["check.json"]["exit_code"] == 0
    report = json.loads((out / "check.json").read_text())
    assert_valid_report(report)
    assert [(r["framework"], r["device"], r["status"]) for r in report["smoke"]] == [("torch", "cpu", "pass")]
    assert "init" in json.loads((out / "nvml.json").read_text())
    assert (out / "timings.tsv").read_text().splitlines()[1].startswith("torch\tcpu\tfloat32\tpass\t")
    assert json.loads((out / "environment.json").read_text())["gpus"] == []
    assert "CPU only" in (out / "check.txt").read_text()
