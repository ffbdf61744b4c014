"""NVML through nvidia-ml-py: the only module that imports ``pynvml``.

Every call goes through :func:`_query`, so a function missing from an older
driver or a GPU that does not support a query becomes ``None`` instead of an
exception. A missing library (no driver) is a normal ``absent`` answer.
"""

from __future__ import annotations

import ctypes
import sys
import time
from typing import Any

from compataudit.model import Gpu, ProbeAttempt, ProbeStatus
from compataudit.probes.facts import NvidiaFacts, decode_cuda_version

# NVML error codes (nvml.h) that mean "there is no usable driver here".
_ABSENT_CODES = {9: "NVIDIA driver not loaded", 12: "NVML library not found (no NVIDIA driver)"}
_HINTS = {
    4: "no permission to talk to the NVIDIA driver",
    18: "driver/library version mismatch: reboot or reload the nvidia kernel module",
    999: "unknown NVML error",
}


def _library_missing() -> bool:
    """True when libnvidia-ml cannot be loaded (Linux): skip importing pynvml (~15 ms)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        ctypes.CDLL("libnvidia-ml.so.1")
    except OSError:
        return True
    return False


def probe_nvml() -> tuple[ProbeAttempt, NvidiaFacts | None]:
    """Ask NVML for the driver and GPUs."""
    start = time.perf_counter()
    if "pynvml" not in sys.modules and _library_missing():
        return _attempt(ProbeStatus.ABSENT, _ABSENT_CODES[12], start), None
    try:
        import pynvml
    except ImportError as exc:
        return _attempt(ProbeStatus.ERROR, f"nvidia-ml-py is not importable: {exc}", start), None
    if not hasattr(pynvml, "nvmlInitWithFlags"):
        # Another package shadows nvidia-ml-py's module (the old `pynvml` project).
        return _attempt(ProbeStatus.ERROR, "the installed `pynvml` module is not nvidia-ml-py", start), None
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as exc:
        code = getattr(exc, "value", -1)
        if code in _ABSENT_CODES:
            return _attempt(ProbeStatus.ABSENT, _ABSENT_CODES[code], start), None
        return _attempt(ProbeStatus.ERROR, f"nvmlInit failed: {_HINTS.get(code, str(exc))}", start), None
    except OSError as exc:  # the library exists but cannot be loaded
        return _attempt(ProbeStatus.ERROR, f"cannot load NVML: {exc}", start), None
    try:
        facts = _read(pynvml)
    finally:
        _query(pynvml.nvmlShutdown)
    return _attempt(ProbeStatus.OK, None, start), facts


def _attempt(status: ProbeStatus, detail: str | None, start: float) -> ProbeAttempt:
    return ProbeAttempt("nvml", status, detail, round(time.perf_counter() - start, 4))


def _query(fn: Any, *args: Any) -> Any:
    """Call an NVML function; None when it is unsupported, missing or fails."""
    try:
        value = fn(*args)
    except Exception:  # NVMLError_NotSupported, FunctionNotFound, ... all mean "unknown"
        return None
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _read(pynvml: Any) -> NvidiaFacts:
    driver = _query(pynvml.nvmlSystemGetDriverVersion)
    cuda_int = _query(getattr(pynvml, "nvmlSystemGetCudaDriverVersion_v2", None) or (lambda: None))
    if cuda_int is None:
        cuda_int = _query(pynvml.nvmlSystemGetCudaDriverVersion)
    count = _query(pynvml.nvmlDeviceGetCount) or 0
    gpus = []
    for index in range(count):
        handle = _query(pynvml.nvmlDeviceGetHandleByIndex, index)
        if handle is None:
            continue
        gpus.append(_read_gpu(pynvml, handle, index))
    return NvidiaFacts(
        driver_version=str(driver) if driver else None,
        cuda_driver_version=decode_cuda_version(cuda_int),
        gpus=tuple(gpus),
    )


def _read_gpu(pynvml: Any, handle: Any, index: int) -> Gpu:
    cc = _query(pynvml.nvmlDeviceGetCudaComputeCapability, handle)
    memory = _query(pynvml.nvmlDeviceGetMemoryInfo, handle)
    mig = _query(pynvml.nvmlDeviceGetMigMode, handle)
    pci = _query(pynvml.nvmlDeviceGetPciInfo, handle)
    bus_id = getattr(pci, "busId", None) if pci is not None else None
    if isinstance(bus_id, bytes):
        bus_id = bus_id.decode("ascii", "replace")
    mig_mode = None
    if isinstance(mig, (list, tuple)) and mig:
        mig_mode = "enabled" if mig[0] == 1 else "disabled"
    total = getattr(memory, "total", None) if memory is not None else None
    return Gpu(
        index=index,
        name=str(_query(pynvml.nvmlDeviceGetName, handle) or f"GPU {index}"),
        uuid=_query(pynvml.nvmlDeviceGetUUID, handle),
        compute_capability=f"{cc[0]}.{cc[1]}" if isinstance(cc, (list, tuple)) and len(cc) == 2 else None,
        memory_total_mib=int(total) // (1024 * 1024) if isinstance(total, int) else None,
        mig_mode=mig_mode,
        pci_bus_id=bus_id,
        serial=_query(pynvml.nvmlDeviceGetSerial, handle),
    )
