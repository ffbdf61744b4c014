"""Reading build facts from the files wheels ship, without executing them."""

from __future__ import annotations

from pathlib import Path

import pytest

from compataudit.model import Package, ProbeStatus
from compataudit.probes.builds import literal_assignments, tensorflow_build, torch_build

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "builds"

# torch/version.py as tools/generate_torch_version.py writes it for a CUDA wheel
# (format of the real file in fixtures/, values of a cu128 build).
TORCH_CU128 = """from typing import Optional

__all__ = ['__version__', 'debug', 'cuda', 'git_version', 'hip', 'xpu']
__version__ = '2.8.0+cu128'
debug = False
cuda: Optional[str] = '12.8'
git_version = 'a1cb3cc05d46d198467bebbb6e8fba50a325d4e7'
hip: Optional[str] = None
xpu: Optional[str] = None
"""
# The key/value set of the Linux x86_64 tensorflow 2.21.0 GPU wheel's build_info.
TF_GPU_221 = """import collections

build_info = collections.OrderedDict([('cpu_compiler', 'clang'), \
('cuda_compute_capabilities', ['sm_60', 'sm_70', 'sm_80', 'sm_89', 'compute_90']), \
('cuda_version', '12.5.1'), ('cudnn_version', '9'), ('is_cuda_build', True), \
('is_rocm_build', False), ('is_tensorrt_build', False)])
"""


def _site(tmp_path: Path, rel: str, text: str) -> str:
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(tmp_path)


def test_real_cpu_torch_version_py(tmp_path: Path) -> None:
    site = _site(tmp_path, "torch/version.py", (FIXTURES / "torch-2.13.0+cpu-version.py").read_text())
    info = torch_build(Package("torch", "2.13.0+cpu", site))
    assert info.status is ProbeStatus.OK
    assert (info.version, info.cuda, info.is_cuda_build) == ("2.13.0+cpu", None, False)
    assert info.git_version == "cf30153c4c131c8164ee7798e5022d810682e2cb"


def test_cuda_torch_version_py_and_cudnn_pin(tmp_path: Path) -> None:
    site = _site(tmp_path, "torch/version.py", TORCH_CU128)
    pkg = Package(
        "torch",
        "2.8.0+cu128",
        site,
        requires=(
            'nvidia-cudnn-cu12==9.10.2.21; platform_system == "Linux" and platform_machine == "x86_64"',
        ),
    )
    info = torch_build(pkg)
    assert (info.cuda, info.cudnn, info.is_cuda_build) == ("12.8", "9.10.2.21", True)


def test_real_tensorflow_cpu_build_info(tmp_path: Path) -> None:
    text = (FIXTURES / "tensorflow-cpu-2.21.0-build_info.py").read_text()
    site = _site(tmp_path, "tensorflow/python/platform/build_info.py", text)
    info = tensorflow_build(Package("tensorflow-cpu", "2.21.0", site))
    assert (info.is_cuda_build, info.cuda, info.cudnn, info.archs) == (False, None, None, ())


def test_tensorflow_gpu_build_info(tmp_path: Path) -> None:
    site = _site(tmp_path, "tensorflow/python/platform/build_info.py", TF_GPU_221)
    info = tensorflow_build(Package("tensorflow", "2.21.0", site))
    assert info.cuda == "12.5.1" and info.cudnn == "9"
    assert info.archs == ("sm_60", "sm_70", "sm_80", "sm_89", "compute_90")


def test_files_are_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    hostile = (
        f"import os\nos.system('touch {marker}')\n__version__ = '2.0.0'\ncuda = __import__('os').getcwd()\n"
    )
    site = _site(tmp_path, "torch/version.py", hostile)
    info = torch_build(Package("torch", "2.0.0", site))
    assert not marker.exists()
    assert info.version == "2.0.0" and info.cuda is None  # non-literal values are skipped


@pytest.mark.parametrize("text", ["def broken(:\n", "\x00\x01 binary"])
def test_unparsable_file_is_an_error_not_a_crash(tmp_path: Path, text: str) -> None:
    site = _site(tmp_path, "torch/version.py", text)
    info = torch_build(Package("torch", "2.0.0", site))
    assert info.status is ProbeStatus.ERROR and "cannot read" in (info.detail or "")


def test_missing_file_is_absent(tmp_path: Path) -> None:
    info = tensorflow_build(Package("tensorflow", "2.15.0", str(tmp_path)))
    assert info.status is ProbeStatus.ABSENT


def test_literal_assignments_reads_annotated_and_plain() -> None:
    values = literal_assignments("a: int = 1\nb = 'x'\nc = d = 3\ne = f()\n")
    assert values == {"a": 1, "b": "x"}
