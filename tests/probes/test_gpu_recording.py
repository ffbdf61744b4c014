"""Replay every recording under tests/fixtures/gpu_record/ through the probes and the report.

A recording is what ``tools/gpu_record.py`` wrote on one real machine: the driver's own
answers (``nvidia-smi`` text and ``--query-gpu`` CSV), every NVML answer the probe reads,
and compataudit's report. The NVML probe is fed the recorded answers through a stand-in
``pynvml`` (the system boundary), and both probe paths must agree with each other; the
report must validate and, on a machine with GPUs, show the smoke kernels on CUDA devices
with no error finding (a real, working stack).
"""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from compataudit.model import ProbeStatus
from compataudit.probes.nvidia_smi import parse_banner, parse_query_csv
from compataudit.probes.nvml import probe_nvml
from tests.schema_helpers import assert_valid_report

RECORDINGS = sorted(
    p for p in (Path(__file__).parent.parent / "fixtures" / "gpu_record").iterdir() if p.is_dir()
)


class NVMLError(Exception):
    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.value = value


def _answer(recorded: Any) -> Any:
    """A recorded NVML answer as the library gives it: errors raised, structures as objects."""
    if isinstance(recorded, dict) and "error" in recorded:
        raise NVMLError(int(recorded["error"]) if isinstance(recorded["error"], int) else -1)
    if isinstance(recorded, dict):
        return types.SimpleNamespace(**recorded)
    return recorded


def replaying_pynvml(record: dict[str, Any]) -> types.ModuleType:
    m = types.ModuleType("pynvml")
    m.NVMLError = NVMLError  # type: ignore[attr-defined]
    devices = record.get("devices", [])

    def system(name: str) -> Any:
        return lambda *_: _answer(record.get(name, {"error": 13}))  # 13: FUNCTION_NOT_FOUND

    def device(name: str) -> Any:
        return lambda handle: _answer(devices[handle].get(name, {"error": 13}))

    m.nvmlInit = lambda: _answer(record.get("init"))  # type: ignore[attr-defined]
    m.nvmlInitWithFlags = lambda flags: _answer(record.get("init"))  # type: ignore[attr-defined]
    m.nvmlShutdown = lambda: None  # type: ignore[attr-defined]
    m.nvmlDeviceGetHandleByIndex = lambda index: index  # type: ignore[attr-defined]
    for name in ("nvmlSystemGetDriverVersion", "nvmlSystemGetCudaDriverVersion", "nvmlDeviceGetCount"):
        setattr(m, name, system(name))
    if "nvmlSystemGetCudaDriverVersion_v2" in record:
        m.nvmlSystemGetCudaDriverVersion_v2 = system("nvmlSystemGetCudaDriverVersion_v2")  # type: ignore[attr-defined]
    for name in (
        "nvmlDeviceGetName",
        "nvmlDeviceGetUUID",
        "nvmlDeviceGetSerial",
        "nvmlDeviceGetCudaComputeCapability",
        "nvmlDeviceGetMigMode",
        "nvmlDeviceGetMemoryInfo",
        "nvmlDeviceGetPciInfo",
    ):
        setattr(m, name, device(name))
    return m


def _read(folder: Path, name: str) -> str:
    path = folder / name
    return path.read_text(encoding="utf-8") if path.is_file() else ""


@pytest.fixture(params=RECORDINGS, ids=[p.name for p in RECORDINGS])
def recording(request: pytest.FixtureRequest) -> Path:
    return request.param  # type: ignore[no-any-return]


def test_there_are_recordings_with_and_without_gpus() -> None:
    with_gpus = [p for p in RECORDINGS if _read(p, "query-gpu.csv").strip()]
    assert with_gpus and len(with_gpus) < len(RECORDINGS)


def test_nvml_replay_agrees_with_nvidia_smi(recording: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record = json.loads(_read(recording, "nvml.json"))
    if "library" in record:
        pytest.skip(f"nvidia-ml-py was not importable where this was recorded: {record['library']}")
    monkeypatch.setitem(sys.modules, "pynvml", replaying_pynvml(record))
    attempt, facts = probe_nvml()
    query = _read(recording, "query-gpu.csv")
    if not query.strip():  # no driver: NVML must say so, as nvidia-smi did by its absence
        assert attempt.status in (ProbeStatus.ABSENT, ProbeStatus.ERROR) and facts is None
        return
    assert attempt.status is ProbeStatus.OK and facts is not None
    gpus, driver = parse_query_csv(query)
    assert facts.driver_version == driver
    banner_driver, banner_cuda = parse_banner(_read(recording, "nvidia-smi.txt"))
    assert banner_driver == driver
    assert facts.cuda_driver_version == banner_cuda
    seen = [
        (g.index, g.name, g.compute_capability, g.memory_total_mib, g.mig_mode, g.pci_bus_id) for g in gpus
    ]
    replayed = [
        (g.index, g.name, g.compute_capability, g.memory_total_mib, g.mig_mode, g.pci_bus_id)
        for g in facts.gpus
    ]
    assert replayed == seen


def test_report_of_the_recording(recording: Path) -> None:
    text = _read(recording, "check.json")
    if not text:
        pytest.skip("this recording holds the driver's answers only")
    report = json.loads(text)
    assert_valid_report(report)
    smoke = report["smoke"]
    assert smoke and all(r["status"] == "pass" for r in smoke), smoke
    gpus = report["environment"]["nvidia"].get("gpus") or []
    if gpus:  # a real GPU machine with a working stack: kernels on CUDA, no error finding
        assert any(r["device"].startswith("cuda") for r in smoke)
        assert not [f for f in report["findings"] if f["severity"] == "error"]
    else:
        assert {r["device"] for r in smoke} == {"cpu"}
    timings = _read(recording, "timings.tsv").splitlines()
    assert len(timings) == len(smoke) + 1


def test_recordings_hold_no_identifying_values(recording: Path) -> None:
    uuid = re.compile(r"\b(?:GPU|MIG)-[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b")
    serial = re.compile(r"(?:Serial Number\s*:\s*|<serial>)([^<\n]+)")
    for path in recording.iterdir():
        text = path.read_text(encoding="utf-8")
        assert all(m.endswith("-0000-0000-0000-000000000000") for m in uuid.findall(text)), path.name
        assert all(set(v.strip()) <= {"0"} or v.strip() == "N/A" for v in serial.findall(text)), path.name
