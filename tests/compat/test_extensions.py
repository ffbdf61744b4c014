"""The extensions data: library providers and the extension builds, held to the harvest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compataudit.compat.extensions import extensions_view
from compataudit.compat.matrices import Matrices

ROOT = Path(__file__).resolve().parents[2]
MATRICES = Matrices(ROOT / "matrices")
HARVEST = ROOT / "matrices" / "harvested" / "extensions.json"


@pytest.mark.parametrize(
    ("soname", "cuda", "pip"),
    [
        ("libcudart.so.12", "12", "nvidia-cuda-runtime-cu12"),
        ("libcudart.so.13", None, "nvidia-cuda-runtime"),
        ("libcublasLt.so.12", "12", "nvidia-cublas-cu12"),
        ("libcudnn_ops_infer.so.8", "11", "nvidia-cudnn-cu11==8.9.*"),
        ("libcudnn_cnn.so.9", "13", "nvidia-cudnn-cu13"),
        ("libcurand.so.10", "11", "nvidia-curand-cu11"),
        ("libcurand.so.10", None, "nvidia-curand-cu12"),  # no torch CUDA: the first row
        ("libnccl.so.2", "13", "nvidia-nccl-cu13"),
        ("libc10_cuda.so", "12", "torch"),
    ],
)
def test_provider_of_a_soname(soname: str, cuda: str | None, pip: str) -> None:
    row = extensions_view(MATRICES).provider(soname, cuda)
    assert row is not None and row.pip == pip


def test_unknown_soname_has_no_provider() -> None:
    assert extensions_view(MATRICES).provider("libjpeg.so.8", "12") is None


def test_every_build_row_is_what_the_wheel_metadata_pins() -> None:
    """Each [[build]] row's torch is the exact torch== Requires-Dist of that release's wheel."""
    harvest = json.loads(HARVEST.read_text(encoding="utf-8"))["packages"]
    view = extensions_view(MATRICES)
    assert view.builds
    for build in view.builds:
        meta = harvest[build.distribution]["releases"][build.version]["metadata"]
        pins = [
            r.split("==", 1)[1].split(";")[0].strip()
            for r in meta["requires_dist"]
            if r.replace(" ", "").startswith("torch==") and "extra" not in r
        ]
        assert pins == [build.torch], (build.distribution, build.version)
        assert build.sources == (f"https://pypi.org/project/{build.distribution}/{build.version}/#files",)


def test_every_exact_torch_pin_in_the_harvest_has_its_row() -> None:
    harvest = json.loads(HARVEST.read_text(encoding="utf-8"))["packages"]
    rows = {(b.distribution, b.version) for b in extensions_view(MATRICES).builds}
    for name, package in harvest.items():
        for version, release in package["releases"].items():
            requires = release.get("metadata", {}).get("requires_dist", [])
            if any(r.replace(" ", "").startswith("torch==") and "extra" not in r for r in requires):
                assert (name, version) in rows


def test_build_for_picks_the_newest_release_pinning_that_torch() -> None:
    view = extensions_view(MATRICES)
    build = view.build_for("xformers", "2.6.0")
    assert build is not None and build.version == "0.0.29.post3"
    assert view.build_for("xformers", "1.0.0") is None
