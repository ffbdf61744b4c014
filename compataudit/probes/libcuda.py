"""libcuda through ctypes: the last resort when NVML and nvidia-smi both fail.

It knows the CUDA version the driver supports and the GPUs, but not the
driver's own version string.
"""

from __future__ import annotations

import ctypes
import sys
import time

from compataudit.model import Gpu, ProbeAttempt, ProbeStatus
from compataudit.probes.facts import NvidiaFacts, decode_cuda_version

_LIBRARY_NAMES = {"win32": ("nvcuda.dll",), "darwin": ()}
_CC_MAJOR, _CC_MINOR = 75, 76  # CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR / _MINOR


def _load() -> ctypes.CDLL | None:
    for name in _LIBRARY_NAMES.get(sys.platform, ("libcuda.so.1", "libcuda.so")):
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    return None


def probe_libcuda() -> tuple[ProbeAttempt, NvidiaFacts | None]:
    start = time.perf_counter()

    def attempt(status: ProbeStatus, detail: str | None) -> ProbeAttempt:
        return ProbeAttempt("libcuda", status, detail, round(time.perf_counter() - start, 4))

    lib = _load()
    if lib is None:
        return attempt(ProbeStatus.ABSENT, "libcuda not found (no NVIDIA driver)"), None
    version = ctypes.c_int(0)
    try:
        rc = lib.cuDriverGetVersion(ctypes.byref(version))
    except AttributeError:
        return attempt(ProbeStatus.ERROR, "libcuda has no cuDriverGetVersion"), None
    if rc != 0:
        return attempt(ProbeStatus.ERROR, f"cuDriverGetVersion returned error {rc}"), None
    gpus: list[Gpu] = []
    detail = None
    rc = lib.cuInit(0)
    if rc == 0:
        gpus = _devices(lib)
    else:
        detail = f"cuInit returned error {rc}: GPUs not listed"
    facts = NvidiaFacts(cuda_driver_version=decode_cuda_version(version.value), gpus=tuple(gpus))
    return attempt(ProbeStatus.OK, detail), facts


def _devices(lib: ctypes.CDLL) -> list[Gpu]:
    count = ctypes.c_int(0)
    if lib.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return []
    gpus = []
    for index in range(count.value):
        device = ctypes.c_int(0)
        if lib.cuDeviceGet(ctypes.byref(device), index) != 0:
            continue
        name = ctypes.create_string_buffer(256)
        lib.cuDeviceGetName(name, 256, device)
        major, minor = ctypes.c_int(0), ctypes.c_int(0)
        lib.cuDeviceGetAttribute(ctypes.byref(major), _CC_MAJOR, device)
        lib.cuDeviceGetAttribute(ctypes.byref(minor), _CC_MINOR, device)
        gpus.append(
            Gpu(
                index=index,
                name=name.value.decode("utf-8", "replace") or f"GPU {index}",
                compute_capability=f"{major.value}.{minor.value}" if major.value else None,
            )
        )
    return gpus
