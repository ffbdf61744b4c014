"""The whole probe on this machine, and the NVIDIA fallback chain."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

import compataudit.probes.libcuda as libcuda_mod
import compataudit.probes.nvidia_smi as smi_mod
import compataudit.probes.nvml as nvml_mod
from compataudit.model import Environment, Gpu, ProbeAttempt, ProbeStatus, from_jsonable, to_jsonable
from compataudit.probes import probe_environment, probe_nvidia
from compataudit.probes.facts import NvidiaFacts, decode_cuda_version

FRAMEWORKS = ("torch", "tensorflow", "keras", "jax")


def test_probe_environment_imports_no_framework() -> None:
    before = {m for m in FRAMEWORKS if m in sys.modules}
    env = probe_environment()
    assert {m for m in FRAMEWORKS if m in sys.modules} == before
    assert env.origin == "probe" and env.python.version.startswith("3.")
    assert env.nvidia.status in (ProbeStatus.ABSENT, ProbeStatus.OK)


def test_snapshot_round_trips_through_json() -> None:
    env = probe_environment()
    again = from_jsonable(Environment, json.loads(json.dumps(to_jsonable(env))))
    assert again == env


@pytest.mark.parametrize(
    ("value", "text"),
    [(12040, "12.4"), (13030, "13.3"), (11000, "11.0"), (0, None), (-5, None), ("12040", None)],
)
def test_decode_cuda_version(value: Any, text: str | None) -> None:
    assert decode_cuda_version(value) == text


def _stub(source: str, status: ProbeStatus, facts: NvidiaFacts | None = None) -> Any:
    return lambda *a, **k: (ProbeAttempt(source, status, f"{source} {status.value}"), facts)


def test_chain_falls_back_to_nvidia_smi(monkeypatch: pytest.MonkeyPatch) -> None:
    facts = NvidiaFacts("550.54.14", "12.4", (Gpu(0, "NVIDIA A100-SXM4-80GB", compute_capability="8.0"),))
    monkeypatch.setattr(nvml_mod, "probe_nvml", _stub("nvml", ProbeStatus.ERROR))
    monkeypatch.setattr(smi_mod, "probe_nvidia_smi", _stub("nvidia-smi", ProbeStatus.OK, facts))
    info = probe_nvidia()
    assert info.status is ProbeStatus.OK and info.source == "nvidia-smi"
    assert [a.source for a in info.attempts] == ["nvml", "nvidia-smi"]
    assert info.gpus[0].compute_capability == "8.0"


def test_chain_all_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nvml_mod, "probe_nvml", _stub("nvml", ProbeStatus.ABSENT))
    monkeypatch.setattr(smi_mod, "probe_nvidia_smi", _stub("nvidia-smi", ProbeStatus.ABSENT))
    monkeypatch.setattr(libcuda_mod, "probe_libcuda", _stub("libcuda", ProbeStatus.ABSENT))
    info = probe_nvidia()
    assert info.status is ProbeStatus.ABSENT and info.gpus == ()


def test_chain_hanging_nvml_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    never = threading.Event()

    def hang() -> Any:
        never.wait(5)
        return None

    monkeypatch.setattr(nvml_mod, "probe_nvml", hang)
    monkeypatch.setattr(smi_mod, "probe_nvidia_smi", _stub("nvidia-smi", ProbeStatus.TIMEOUT))
    monkeypatch.setattr(libcuda_mod, "probe_libcuda", _stub("libcuda", ProbeStatus.ABSENT))
    info = probe_nvidia(timeout=0.2)
    never.set()
    assert info.status is ProbeStatus.TIMEOUT
    assert info.attempts[0].status is ProbeStatus.TIMEOUT
