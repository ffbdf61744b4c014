"""The NVML probe against a stand-in ``pynvml`` fed with recorded values.

NVML is the system boundary: the stand-in mimics nvidia-ml-py's API and error
classes (codes from nvml.h) and returns the facts of the B200 machine recorded
in tests/fixtures/nvidia_smi/r610-b200.txt.
"""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from compataudit.model import ProbeStatus
from compataudit.probes.nvml import probe_nvml


class NVMLError(Exception):
    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.value = value


class _Mem:
    total = 183359 * 1024 * 1024


class _Pci:
    busId = b"00000000:63:00.0"


def _fake_pynvml(init_error: int | None = None, mig: Any = (0, 0)) -> types.ModuleType:
    m = types.ModuleType("pynvml")
    m.NVMLError = NVMLError  # type: ignore[attr-defined]

    def init() -> None:
        if init_error is not None:
            raise NVMLError(init_error)

    def not_supported(*_: Any) -> Any:
        raise NVMLError(3)

    def mig_mode(_h: Any) -> Any:
        if mig is None:
            raise NVMLError(3)  # NOT_SUPPORTED on GPUs without MIG
        return list(mig)

    attrs: dict[str, Any] = {
        "nvmlInitWithFlags": lambda flags: None,
        "nvmlInit": init,
        "nvmlShutdown": lambda: None,
        "nvmlSystemGetDriverVersion": lambda: "610.43.02",
        "nvmlSystemGetCudaDriverVersion_v2": lambda: 13030,
        "nvmlSystemGetCudaDriverVersion": lambda: 13030,
        "nvmlDeviceGetCount": lambda: 2,
        "nvmlDeviceGetHandleByIndex": lambda i: ("handle", i),
        "nvmlDeviceGetName": lambda h: b"NVIDIA B200",
        "nvmlDeviceGetUUID": lambda h: f"GPU-0000000{h[1]}-aaaa-bbbb-cccc-dddddddddddd",
        "nvmlDeviceGetCudaComputeCapability": lambda h: (10, 0),
        "nvmlDeviceGetMemoryInfo": lambda h: _Mem(),
        "nvmlDeviceGetMigMode": mig_mode,
        "nvmlDeviceGetPciInfo": lambda h: _Pci(),
        "nvmlDeviceGetSerial": not_supported,
    }
    for name, value in attrs.items():
        setattr(m, name, value)
    return m


@pytest.fixture
def use_fake(monkeypatch: pytest.MonkeyPatch) -> Any:
    def install(module: types.ModuleType) -> None:
        monkeypatch.setitem(sys.modules, "pynvml", module)

    return install


def test_reads_driver_cuda_and_gpus(use_fake: Any) -> None:
    use_fake(_fake_pynvml())
    attempt, facts = probe_nvml()
    assert attempt.status is ProbeStatus.OK
    assert facts is not None
    assert facts.driver_version == "610.43.02"
    assert facts.cuda_driver_version == "13.3"  # 13030 -> 13.3
    gpu = facts.gpus[1]
    assert (gpu.index, gpu.name, gpu.compute_capability, gpu.memory_total_mib) == (
        1,
        "NVIDIA B200",
        "10.0",
        183359,
    )
    assert gpu.mig_mode == "disabled" and gpu.pci_bus_id == "00000000:63:00.0"
    assert gpu.serial is None  # not supported: unknown, not an error


def test_mig_enabled_and_unsupported(use_fake: Any) -> None:
    use_fake(_fake_pynvml(mig=(1, 1)))
    assert probe_nvml()[1].gpus[0].mig_mode == "enabled"  # type: ignore[union-attr]
    use_fake(_fake_pynvml(mig=None))
    assert probe_nvml()[1].gpus[0].mig_mode is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("code", "status", "words"),
    [
        (12, ProbeStatus.ABSENT, "library not found"),  # NVML_ERROR_LIBRARY_NOT_FOUND
        (9, ProbeStatus.ABSENT, "not loaded"),  # NVML_ERROR_DRIVER_NOT_LOADED
        (18, ProbeStatus.ERROR, "version mismatch"),  # NVML_ERROR_LIB_RM_VERSION_MISMATCH
        (4, ProbeStatus.ERROR, "permission"),  # NVML_ERROR_NO_PERMISSION
    ],
)
def test_init_errors_become_data(use_fake: Any, code: int, status: ProbeStatus, words: str) -> None:
    use_fake(_fake_pynvml(init_error=code))
    attempt, facts = probe_nvml()
    assert attempt.status is status and facts is None
    assert words in (attempt.detail or "").lower()


def test_shadowed_pynvml_module_is_reported(use_fake: Any) -> None:
    impostor = types.ModuleType("pynvml")  # e.g. the unrelated old `pynvml` project
    use_fake(impostor)
    attempt, facts = probe_nvml()
    assert attempt.status is ProbeStatus.ERROR and facts is None
    assert "not nvidia-ml-py" in (attempt.detail or "")


def test_real_nvml_on_this_machine_is_absent_or_ok() -> None:
    attempt, _ = probe_nvml()
    assert attempt.status in (ProbeStatus.ABSENT, ProbeStatus.OK)
