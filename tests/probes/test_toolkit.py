"""nvcc and cuDNN detection."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from compataudit.model import ProbeStatus
from compataudit.probes.toolkit import parse_cudnn_header, parse_nvcc_version, probe_toolkit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "toolkit"


@pytest.mark.parametrize(
    ("fixture", "version"),
    [("nvcc-13.0.88.txt", "13.0.88"), ("nvcc-11.1.txt", "11.1.105"), ("nvcc-10.1.txt", "10.1.243")],
)
def test_parse_nvcc(fixture: str, version: str) -> None:
    assert parse_nvcc_version((FIXTURES / fixture).read_text()) == version


def test_parse_nvcc_garbage() -> None:
    assert parse_nvcc_version("bash: nvcc: command not found") is None


def test_parse_cudnn_header() -> None:
    text = "#define CUDNN_MAJOR 9\n#define CUDNN_MINOR 3\n#define CUDNN_PATCHLEVEL 0\n"
    assert parse_cudnn_header(text) == "9.3.0"
    assert parse_cudnn_header("/* nothing */") is None


def _cuda_home(tmp_path: Path, nvcc_body: str) -> Path:
    home = tmp_path / "cuda"
    (home / "bin").mkdir(parents=True)
    nvcc = home / "bin" / "nvcc"
    nvcc.write_text("#!/bin/sh\n" + nvcc_body)
    nvcc.chmod(nvcc.stat().st_mode | stat.S_IEXEC)
    (home / "include").mkdir()
    return home


def test_probe_with_cuda_home(tmp_path: Path) -> None:
    home = _cuda_home(tmp_path, f"cat {FIXTURES / 'nvcc-11.1.txt'}\n")
    (home / "include" / "cudnn_version.h").write_text(
        "#define CUDNN_MAJOR 8\n#define CUDNN_MINOR 9\n#define CUDNN_PATCHLEVEL 7\n"
    )
    info = probe_toolkit({"CUDA_HOME": str(home), "PATH": ""})
    assert info.status is ProbeStatus.OK
    assert (info.nvcc_version, info.cudnn_version) == ("11.1.105", "8.9.7")
    assert info.cuda_home == str(home)


def test_probe_cudnn_from_library_name(tmp_path: Path) -> None:
    home = _cuda_home(tmp_path, "exit 1\n")
    libdir = tmp_path / "libs"
    libdir.mkdir()
    for name in ("libcudnn.so.8.9.2", "libcudnn.so.9.1.0", "libcudnn.so.9"):
        (libdir / name).write_text("")
    info = probe_toolkit({"CUDA_HOME": str(home), "PATH": "", "LD_LIBRARY_PATH": str(libdir)})
    assert info.cudnn_version == "9.1.0"
    nvcc = next(a for a in info.attempts if a.source == "nvcc")
    assert nvcc.status is ProbeStatus.ERROR


def test_probe_hanging_nvcc(tmp_path: Path) -> None:
    home = _cuda_home(tmp_path, "sleep 30\n")
    info = probe_toolkit({"CUDA_HOME": str(home), "PATH": ""}, timeout=0.5)
    nvcc = next(a for a in info.attempts if a.source == "nvcc")
    assert nvcc.status is ProbeStatus.TIMEOUT


def test_probe_without_toolkit(tmp_path: Path) -> None:
    info = probe_toolkit({"CUDA_HOME": str(tmp_path / "none"), "PATH": str(tmp_path)})
    assert info.nvcc_version is None
    assert next(a for a in info.attempts if a.source == "nvcc").status is ProbeStatus.ABSENT
