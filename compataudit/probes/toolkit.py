"""The system CUDA toolkit (``nvcc``) and cuDNN — not the ones pip wheels bring."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from compataudit.model import ProbeAttempt, ProbeStatus, ToolkitInfo
from compataudit.probes.run import run_command

_NVCC_RE = re.compile(r"release (\d+\.\d+), V(\d+(?:\.\d+)+)")
_NVCC_SHORT_RE = re.compile(r"release (\d+\.\d+)")
_CUDNN_DEFINE_RE = re.compile(r"#define\s+CUDNN_(MAJOR|MINOR|PATCHLEVEL)\s+(\d+)")
_CUDNN_LIB_RE = re.compile(r"^libcudnn\.so\.(\d+(?:\.\d+){0,2})$")


def parse_nvcc_version(text: str) -> str | None:
    """``Cuda compilation tools, release 13.0, V13.0.88`` -> ``13.0.88`` (``12.4`` if no V part)."""
    match = _NVCC_RE.search(text)
    if match:
        return match.group(2)
    short = _NVCC_SHORT_RE.search(text)
    return short.group(1) if short else None


def parse_cudnn_header(text: str) -> str | None:
    """``#define CUDNN_MAJOR 9`` ... -> ``9.3.0``."""
    parts = dict(_CUDNN_DEFINE_RE.findall(text))
    if "MAJOR" not in parts:
        return None
    return f"{parts['MAJOR']}.{parts.get('MINOR', '0')}.{parts.get('PATCHLEVEL', '0')}"


def _cuda_home(environ: Mapping[str, str]) -> str | None:
    for var in ("CUDA_HOME", "CUDA_PATH"):
        if environ.get(var):
            return environ[var]
    default = Path("/usr/local/cuda")
    return str(default) if default.is_dir() else None


def find_nvcc(environ: Mapping[str, str]) -> str | None:
    home = _cuda_home(environ)
    if home:
        candidate = Path(home) / "bin" / "nvcc"
        if candidate.is_file():
            return str(candidate)
    return shutil.which("nvcc", path=environ.get("PATH"))


def _header_dirs(home: str | None) -> Iterable[Path]:
    if home:
        yield Path(home) / "include"
    yield from (
        Path("/usr/include"),
        Path("/usr/include/x86_64-linux-gnu"),
        Path("/usr/include/aarch64-linux-gnu"),
        Path("/usr/local/cuda/include"),
    )


def _library_dirs(home: str | None, environ: Mapping[str, str]) -> Iterable[Path]:
    for entry in environ.get("LD_LIBRARY_PATH", "").split(os.pathsep):
        if entry:
            yield Path(entry)
    if home:
        yield Path(home) / "lib64"
    yield from (
        Path("/usr/lib/x86_64-linux-gnu"),
        Path("/usr/lib/aarch64-linux-gnu"),
        Path("/usr/local/cuda/lib64"),
        Path("/usr/lib64"),
    )


def find_cudnn(home: str | None, environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(version, where it was read) of a system cuDNN, from its header or library name."""
    for directory in _header_dirs(home):
        for name in ("cudnn_version.h", "cudnn.h"):
            path = directory / name
            try:
                version = parse_cudnn_header(path.read_text(encoding="utf-8", errors="replace"))
            except OSError:
                continue
            if version:
                return version, str(path)
    best: tuple[tuple[int, ...], str, str] | None = None
    for directory in _library_dirs(home, environ):
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for name in names:
            match = _CUDNN_LIB_RE.match(name)
            if match:
                key = tuple(int(x) for x in match.group(1).split("."))
                if best is None or key > best[0]:
                    best = (key, match.group(1), str(directory / name))
    return (best[1], best[2]) if best else (None, None)


def probe_toolkit(environ: Mapping[str, str] | None = None, timeout: float = 10.0) -> ToolkitInfo:
    env = os.environ if environ is None else environ
    home = _cuda_home(env)
    attempts = []
    nvcc_version = None
    nvcc = find_nvcc(env)
    if nvcc is None:
        attempts.append(ProbeAttempt("nvcc", ProbeStatus.ABSENT, "nvcc not found"))
    else:
        start = time.perf_counter()
        result = run_command([nvcc, "--version"], timeout=timeout)
        status, detail = result.status, result.detail
        if status is ProbeStatus.OK:
            nvcc_version = parse_nvcc_version(result.stdout)
            if nvcc_version is None:
                status, detail = ProbeStatus.ERROR, "unrecognised `nvcc --version` output"
        attempts.append(ProbeAttempt("nvcc", status, detail, round(time.perf_counter() - start, 4)))
    cudnn, cudnn_source = find_cudnn(home, env)
    attempts.append(
        ProbeAttempt(
            "cudnn",
            ProbeStatus.OK if cudnn else ProbeStatus.ABSENT,
            None if cudnn else "no system cuDNN header or library found",
        )
    )
    return ToolkitInfo(
        status=ProbeStatus.OK if (nvcc_version or cudnn) else _worst(attempts),
        nvcc_version=nvcc_version,
        nvcc_path=nvcc,
        cuda_home=home,
        cudnn_version=cudnn,
        cudnn_source=cudnn_source,
        attempts=tuple(attempts),
    )


def _worst(attempts: list[ProbeAttempt]) -> ProbeStatus:
    for status in (ProbeStatus.TIMEOUT, ProbeStatus.ERROR):
        if any(a.status is status for a in attempts):
            return status
    return ProbeStatus.ABSENT
