"""The noxfile's tests session never asks for a CUDA build of torch."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = ["torch==2.13.0", "tensorflow-cpu==2.21.0", "keras==3.15.1", "jax==0.10.2", "jaxlib==0.10.2"]
# The shape of `pip config list` with a local mirror beside PyPI.
CONFIG_LIST = (
    ":env:.default-timeout='180'\n"
    ":env:.find-links='{links}'\n"
    "global.extra-index-url='file:///srv/pypi/simple file:///srv/pypi-more/simple'\n"
    "global.find-links='{links}'\n"
)
CPU_INDEX = ["--extra-index-url", "https://download.pytorch.org/whl/cpu"]


@pytest.fixture(scope="module")
def noxfile() -> ModuleType:
    spec = importlib.util.spec_from_file_location("noxfile_under_test", ROOT / "noxfile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_frameworks_group_pins_torch(noxfile: ModuleType) -> None:
    import nox

    group = nox.project.dependency_groups(noxfile.PYPROJECT, "frameworks")
    assert any(r.startswith("torch==") for r in group), "an unpinned torch is a multi-GB CUDA build"


def test_public_index_gets_the_cpu_build_from_pytorchs_cpu_index(noxfile: ModuleType) -> None:
    args = noxfile.cpu_framework_args(FRAMEWORKS, [], system="Linux")
    assert args == ["torch==2.13.0+cpu", *FRAMEWORKS[1:], *CPU_INDEX]


def test_a_local_mirror_holding_the_cpu_wheel_needs_no_network(noxfile: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl").write_bytes(b"")
    sources = noxfile.pip_sources(CONFIG_LIST.format(links=tmp_path), {})
    assert str(tmp_path) in sources and "file:///srv/pypi/simple" in sources
    assert noxfile.cpu_framework_args(FRAMEWORKS, sources, system="Linux") == [
        "torch==2.13.0+cpu",
        *FRAMEWORKS[1:],
    ]


def test_a_mirror_without_it_still_gets_the_cpu_index(noxfile: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "torch-2.13.0-cp311-cp311-manylinux_2_28_x86_64.whl").write_bytes(b"")  # PyPI's CUDA one
    sources = noxfile.pip_sources("", {"PIP_FIND_LINKS": str(tmp_path)})
    assert noxfile.cpu_framework_args(FRAMEWORKS, sources, system="Linux")[-2:] == CPU_INDEX


def test_a_simple_index_folder_counts_as_local(noxfile: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl").write_bytes(b"")
    args = noxfile.cpu_framework_args(FRAMEWORKS, [tmp_path.as_uri()], system="Windows")
    assert CPU_INDEX[0] not in args


def test_macos_keeps_pypis_build(noxfile: ModuleType) -> None:
    assert noxfile.cpu_framework_args(FRAMEWORKS, [], system="Darwin") == FRAMEWORKS
