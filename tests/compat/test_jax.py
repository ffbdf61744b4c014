"""JAX matrix views, build resolution and the installable sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from compataudit.compat import jax as jax_compat
from compataudit.compat.builds import ResolvedBuild
from compataudit.compat.matrices import Matrices, load_matrices
from compataudit.errors import MatrixError
from compataudit.model import Environment
from tests.compat.matrix_copies import broken_copy
from tests.envs import environment, pins_of

MATRIX_DIR = Path(__file__).resolve().parents[2] / "matrices"
MATRICES = Matrices(MATRIX_DIR)


def _ctx(python: str = "3.11.7", **packages: str) -> tuple[Environment, Matrices]:
    return environment(*pins_of(**packages), python=python), MATRICES


@pytest.mark.parametrize(
    ("version", "min_jaxlib", "python", "numpy"),
    [
        pytest.param("0.10.2", "0.10.1", ">=3.11", ">=2.0", id="0.10.2-wheel-metadata"),
        pytest.param("0.11.0", "0.11.0", ">=3.12", ">=2.1", id="0.11.0-drops-3.11"),
        pytest.param("0.7.0", "0.7.0", ">=3.11,<3.14", ">=1.26", id="0.7.0-min-3.11"),
        pytest.param("0.4.31", "0.4.30", ">=3.10,<3.13", ">=1.24", id="0.4.31-min-3.10"),
        pytest.param("0.4.28", "0.4.27", ">=3.9,<3.13", ">=1.22", id="0.4.28-changelog-min-0.4.27"),
        pytest.param("0.4.34", "0.4.34", ">=3.10,<3.14", ">=1.24", id="0.4.34-adds-3.13"),
        pytest.param("0.10.2+local", "0.10.1", ">=3.11", ">=2.0", id="local-label-ignored"),
    ],
)
def test_release_rows(version: str, min_jaxlib: str, python: str, numpy: str) -> None:
    release = jax_compat.jax_release(MATRICES, version)
    assert release is not None
    assert (str(release.min_jaxlib), release.python, release.numpy) == (min_jaxlib, python, numpy)


def test_installed_jax_metadata_agrees_with_the_matrix() -> None:
    """The jax installed in this venv is a real wheel: its METADATA must match our row."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        meta = metadata("jax")
    except PackageNotFoundError:
        pytest.skip("jax is not installed here")
    release = jax_compat.jax_release(MATRICES, meta["Version"])
    if release is None:
        pytest.skip(f"jax {meta['Version']} is newer than the data")
    assert meta["Requires-Python"] == release.python.split(",")[0]
    requires = meta.get_all("Requires-Dist") or []
    assert any(
        r.startswith("jaxlib") and f">={release.min_jaxlib}" in r and "extra" not in r for r in requires
    )


@pytest.mark.parametrize(
    ("version", "archs12", "archs13"),
    [
        # read from the plugin wheels: .bazelrc's compute_XY ships SASS sm_XY and PTX compute_XY
        pytest.param(
            "0.4.31",
            ("sm_50", "sm_60", "sm_70", "sm_80", "sm_90", "compute_90"),
            None,
            id="0.4.31-sm90-ptx90",
        ),
        pytest.param(
            "0.7.2",
            ("sm_50", "sm_60", "sm_70", "sm_80", "sm_90", "sm_100", "sm_120", "compute_120"),
            ("sm_75", "sm_80", "sm_90", "sm_100", "sm_120", "compute_120"),
            id="0.7.2-first-cuda13-config",
        ),
        pytest.param("0.4.28", None, None, id="pre-plugin-release"),
    ],
)
def test_release_archs(
    version: str, archs12: tuple[str, ...] | None, archs13: tuple[str, ...] | None
) -> None:
    release = jax_compat.jax_release(MATRICES, version)
    assert release is not None
    assert release.archs.get(12) == archs12
    assert release.archs.get(13) == archs13


def test_unknown_and_garbage_versions() -> None:
    assert jax_compat.jax_release(MATRICES, "0.99.0") is None
    assert jax_compat.jax_release(MATRICES, "not-a-version") is None
    assert jax_compat.jax_release(MATRICES, None) is None


def test_resolve_cpu_only_jax() -> None:
    build = jax_compat.resolve_build(*_ctx(jax="0.10.2", jaxlib="0.10.2"))
    assert build == ResolvedBuild(
        framework="jax",
        components=("jax", "jaxlib"),
        version="0.10.2",
        variant="cpu",
        cuda=None,
        source="metadata",
    )


def test_resolve_cuda12_plugin_uses_runtime_wheel_cuda() -> None:
    build = jax_compat.resolve_build(
        *_ctx(
            jax="0.10.2",
            jaxlib="0.10.2",
            jax_cuda12_plugin="0.10.2",
            jax_cuda12_pjrt="0.10.2",
            nvidia_cuda_runtime_cu12="12.9.79",
        )
    )
    assert build is not None
    assert build.components == ("jax", "jaxlib", "jax-cuda12-plugin", "jax-cuda12-pjrt")
    assert (build.variant, build.cuda) == ("cuda12", "12.9")
    assert build.archs[-1] == "compute_120"


def test_resolve_prefers_cuda13_and_falls_back_to_documented_minimum() -> None:
    build = jax_compat.resolve_build(
        *_ctx(jax="0.10.2", jaxlib="0.10.2", jax_cuda12_plugin="0.10.2", jax_cuda13_plugin="0.10.2")
    )
    assert build is not None
    assert (build.variant, build.cuda) == ("cuda13", "13.0")
    assert "sm_75" in build.archs


def test_resolve_without_jaxlib_is_none() -> None:
    assert jax_compat.resolve_build(*_ctx(jax="0.10.2")) is None


def test_compatible_sets_cpu_only_for_python() -> None:
    sets = jax_compat.compatible_sets(MATRICES, python="3.11.7")
    assert sets[0].jax == "0.10.2"  # 0.11.0 needs Python 3.12
    assert sets[0].command == 'pip install "jax==0.10.2" "jaxlib==0.10.2"'
    assert all(s.plugin is None for s in sets)


def test_compatible_sets_with_driver_and_gpus() -> None:
    # driver that runs CUDA 12.x only, a Volta GPU: cuda12 plugins only
    sets = jax_compat.compatible_sets(MATRICES, python="3.12", max_cuda="12.9", gpu_ccs=("7.0",))
    assert sets[0].command == 'pip install "jax[cuda12]==0.12.0.1"'  # 0.12.1 has no cuda12 plugin
    assert {s.cuda_major for s in sets} == {12}
    # CUDA 13 driver and an Ada GPU: both plugin families, CUDA 13 first within a release
    sets = jax_compat.compatible_sets(MATRICES, python="3.12", max_cuda="13.0", gpu_ccs=("8.9",))
    assert [(s.jax, s.plugin) for s in sets[:3]] == [
        ("0.12.1", "jax-cuda13-plugin"),
        ("0.12.0.1", "jax-cuda13-plugin"),
        ("0.12.0.1", "jax-cuda12-plugin"),
    ]
    # Kepler is below every plugin's SM floor
    assert jax_compat.compatible_sets(MATRICES, python="3.12", max_cuda="12.9", gpu_ccs=("3.7",)) == []
    # CUDA 12.0 is below the cuda12 plugin's minimum 12.1
    assert jax_compat.compatible_sets(MATRICES, python="3.12", max_cuda="12.0") == []


def test_suggest_build_keeps_the_release_when_it_fits() -> None:
    ctx = _ctx(jax="0.10.2", jaxlib="0.10.2", jax_cuda13_plugin="0.10.2")
    build = jax_compat.resolve_build(*ctx)
    assert build is not None
    assert (
        jax_compat.suggest_build(*ctx, build, max_cuda="12.9", gpu_ccs=("8.6",))
        # the CUDA 13 plugin goes first: two PJRT plugins would stay side by side
        == 'pip uninstall -y jax-cuda13-plugin; pip install "jax[cuda12]==0.10.2"'
    )
    assert (
        jax_compat.suggest_build(*ctx, build, max_cuda=None, gpu_ccs=())
        == 'pip uninstall -y jax-cuda13-plugin; pip install "jax==0.10.2" "jaxlib==0.10.2"'
    )
    assert jax_compat.suggest_build(*ctx, build, max_cuda="11.8", gpu_ccs=()) is None


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        pytest.param(
            'min_jaxlib = "0.10.1"',
            'min_jaxlib = "latest"',
            r"jax\.toml: \[\[release\]\] row 7: field 'min_jaxlib' must be a version, found 'latest'",
            id="bad-version",
        ),
        pytest.param(
            'python = ">=3.11"',
            'python = "three eleven"',
            r"\[\[release\]\] row 7: field 'python' must be a version specifier",
            id="bad-specifier",
        ),
        pytest.param(
            "cuda_major = 12",
            "cuda_major = true",
            r"\[\[plugin\]\] row 1: field 'cuda_major' must be an integer, found True",
            id="bool-major",
        ),
        pytest.param(
            'pjrt = "jax-cuda12-pjrt"',
            'pjrt = ""',
            r"\[\[plugin\]\] row 1: field 'pjrt' must be a non-empty string, found ''",
            id="empty-pjrt",
        ),
    ],
)
def test_malformed_copy_names_file_and_row(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(MatrixError, match=message):
        jax_compat.jax_view(broken_copy(tmp_path, "jax", old, new))


def test_a_jax_without_its_own_jaxlib_release_pairs_the_one_published_with_it() -> None:
    # PyPI has no jaxlib 0.5.2 or 0.4.37: printing them would give an uninstallable set
    sets = {s.jax: s for s in jax_compat.compatible_sets(load_matrices(), python="3.11")}
    assert (sets["0.5.2"].jaxlib, sets["0.4.37"].jaxlib) == ("0.5.1", "0.4.36")
    assert sets["0.5.2"].command == 'pip install "jax==0.5.2" "jaxlib==0.5.1"'
    assert sets["0.10.2"].jaxlib == "0.10.2"
