"""The TensorFlow matrix view: schema, lookups, build resolution and install suggestions."""

from __future__ import annotations

from pathlib import Path

import pytest

from compataudit.compat import tensorflow as tfc
from compataudit.compat.builds import ResolvedBuild, framework_module
from compataudit.compat.cuda import arch_supported
from compataudit.compat.matrices import Matrices
from compataudit.errors import MatrixError
from compataudit.model import (
    BuildInfo,
    Environment,
    ProbeStatus,
)
from tests.compat.matrix_copies import broken_copy
from tests.envs import environment

A221 = ("sm_60", "sm_70", "sm_80", "sm_89", "compute_90")


def env_of(
    *pins: tuple[str, str],
    python: str = "3.11.9",
    system: str = "Linux",
    machine: str = "x86_64",
    builds: tuple[BuildInfo, ...] = (),
) -> Environment:
    return environment(*pins, python=python, system=system, machine=machine, pinned=True, builds=builds)


# --------------------------------------------------------------------------- schema


def test_every_row_loads_and_cites_sources(matrices: Matrices) -> None:
    view = tfc.tensorflow_matrix(matrices)
    assert [r.minor for r in view.newest_per_minor()][-1] == "2.4"
    assert {r.minor for r in view.releases} == {f"2.{n}" for n in range(4, 22)}
    assert all(r.sources and all(s.startswith("https://") for s in r.sources) for r in view.releases)
    assert {v.name for v in view.variants} >= {
        "tensorflow",
        "tensorflow-cpu",
        "tensorflow-gpu",
        "tensorflow-intel",
        "tensorflow-macos",
        "tf-nightly",
        "tensorflow-cpu-aws",
        "tensorflow-aarch64",
    }
    assert tfc.tensorflow_matrix(matrices) is view  # cached in matrices.views


def test_release_2_21_matches_the_installed_wheel_metadata(matrices: Matrices) -> None:
    # The tensorflow-cpu 2.21.0 METADATA in this repository's venv says exactly these.
    rel = tfc.tensorflow_matrix(matrices).release_for("2.21.0")
    assert rel is not None
    assert (rel.requires_python, rel.numpy, rel.protobuf, rel.ml_dtypes, rel.keras) == (
        ">=3.10",
        ">=1.26.0",
        "<8.0.0,>=6.31.1",
        "<1.0.0,>=0.5.1",
        ">=3.12.0",
    )
    assert (rel.cuda, rel.cudnn, rel.build_cuda, rel.archs) == ("12.5", "9.3", "12.5.1", A221)
    assert "nvidia-cudnn-cu12<10.0,>=9.3.0.75" in rel.and_cuda


@pytest.mark.parametrize(
    ("old", "new", "where", "field"),
    [
        ('numpy = "~=1.19.2"', 'numpy = "not a range"', "[[release]] row 1", "numpy"),
        ('version = "2.4.0"', 'version = "two"', "[[release]] row 1", "version"),
        ('cuda = "11.0"', "cuda = 11", "[[release]] row 1", "cuda"),
        ('archs = ["sm_35"', "archs = [35", "[[release]] row 1", "archs"),
        ('build = "default"', 'build = "gpu"', "[[variant]] row 1", "build"),
        ('cuda_releases = ">=2.4"', 'cuda_releases = ">=two"', "[[platform]] row 1", "cuda_releases"),
        ("numpy_major = 1  #", 'numpy_major = "1"  #', "[[release]] row 1", "numpy_major"),
    ],
)
def test_malformed_field_names_file_and_row(
    tmp_path: Path, old: str, new: str, where: str, field: str
) -> None:
    broken = broken_copy(tmp_path, "tensorflow", old, new)
    with pytest.raises(MatrixError) as err:
        tfc.tensorflow_matrix(broken)
    assert "tensorflow.toml" in str(err.value)
    assert where in str(err.value)
    assert repr(field) in str(err.value)


# --------------------------------------------------------------------------- lookups


@pytest.mark.parametrize(
    ("version", "row"),
    [
        ("2.15.0.post1", "2.15.0"),  # the post release keeps 2.15.0's facts
        ("2.15.1", "2.15.1"),
        ("2.16.2", "2.16.1"),
        ("2.9.3", "2.9.1"),
        ("2.18.0rc1", "2.18.0"),  # a pre-release of the first row of its minor
        ("2.21.0", "2.21.0"),
        ("2.22.0.dev20260301", None),  # tf-nightly: unknown, never guessed
        ("2.3.4", None),
        ("garbage", None),
        ("", None),
    ],
)
def test_release_lookup(matrices: Matrices, version: str, row: str | None) -> None:
    rel = tfc.tensorflow_matrix(matrices).release_for(version)
    assert (rel.version if rel else None) == row


@pytest.mark.parametrize(
    ("pins", "expected"),
    [
        ((("tensorflow-cpu", "2.21.0"), ("keras", "3.15.1")), "tensorflow-cpu"),
        ((("tensorflow-intel", "2.15.0"), ("tensorflow", "2.15.0")), "tensorflow"),
        ((("tf-nightly", "2.22.0.dev20260301"),), "tf-nightly"),
        ((("tensorflow-macos", "2.15.0"),), "tensorflow-macos"),
        ((("keras", "3.15.1"), ("numpy", "2.4.6")), None),
    ],
)
def test_installed_tensorflow(
    matrices: Matrices, pins: tuple[tuple[str, str], ...], expected: str | None
) -> None:
    pkg = tfc.installed_tensorflow(env_of(*pins), matrices)
    assert (pkg.name if pkg else None) == expected


@pytest.mark.parametrize(
    ("archs", "cc", "covered"),
    [
        (A221, "8.6", True),  # sm_80 cubin runs on 8.x
        (A221, "9.0", True),  # compute_90 PTX
        (A221, "5.2", False),  # Maxwell dropped in 2.17
        (("sm_35", "sm_50", "sm_60", "sm_70", "sm_75", "compute_80"), "3.7", True),
        (("sm_50", "sm_60", "sm_70", "sm_75", "compute_80"), "3.7", False),  # 2.15 dropped sm_35
        (("sm_50", "sm_60", "sm_70", "sm_75", "compute_80"), "9.0", True),  # PTX 8.0 JIT on 9.0
        (A221, "not a cc", False),
        ((), "8.0", False),
    ],
)
def test_tensorflow_archs_cover(archs: tuple[str, ...], cc: str, covered: bool) -> None:
    """TensorFlow's build_info architectures through the one coverage rule (compat.cuda)."""
    assert (arch_supported(cc, archs) != "none") is covered


# --------------------------------------------------------------------------- builds


def probed(cuda: str | None, archs: tuple[str, ...], is_cuda: bool, hip: str | None = None) -> BuildInfo:
    return BuildInfo(
        framework="tensorflow",
        distribution="tensorflow",
        cuda=cuda,
        cudnn="9",
        archs=archs,
        is_cuda_build=is_cuda,
        hip=hip,
        source="/venv/site-packages/tensorflow/python/platform/build_info.py",
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            env_of(("tensorflow", "2.21.0"), builds=(probed("12.5.1", A221, True),)),
            ("cu125", "12.5", A221, "build_info.py"),
        ),
        (
            env_of(("tensorflow-cpu", "2.21.0"), builds=(probed(None, (), False),)),
            ("cpu", None, (), "build_info.py"),
        ),
        (
            env_of(("tensorflow-rocm", "2.16.1"), builds=(probed(None, (), False, hip="6.1"),)),
            ("rocm", None, (), "build_info.py"),
        ),
        (env_of(("tensorflow-cpu", "2.21.0")), ("cpu", None, (), "pin")),
        (
            env_of(("tensorflow", "2.15.0")),
            ("cu122", "12.2", ("sm_50", "sm_60", "sm_70", "sm_75", "compute_80"), "pin"),
        ),
        (env_of(("tensorflow", "2.10.0"), system="Windows", machine="AMD64"), ("cu112", "11.2", (), "pin")),
        (env_of(("tensorflow", "2.11.0"), system="Windows", machine="AMD64"), ("cpu", None, (), "pin")),
        (env_of(("tensorflow", "2.16.1"), system="Darwin", machine="arm64"), ("cpu", None, (), "pin")),
        (env_of(("tensorflow-intel", "2.15.0"), system="Windows"), ("cpu", None, (), "pin")),
    ],
)
def test_resolve_build(
    matrices: Matrices, env: Environment, expected: tuple[str | None, str | None, tuple[str, ...], str]
) -> None:
    build = tfc.resolve_build(env, matrices)
    assert build is not None
    assert (build.variant, build.cuda, build.archs, build.source) == expected
    assert build.framework == "tensorflow"
    assert build.components == (env.packages[0].name,)


@pytest.mark.parametrize(
    "env",
    [
        env_of(("keras", "3.15.1")),  # no TensorFlow
        env_of(("tf-nightly", "2.22.0.dev20260301")),  # a CUDA build of an unknown release
        env_of(("tensorflow", "2.21.0"), machine="aarch64"),  # platform not recorded
        env_of(("tensorflow-aarch64", "2.15.0"), machine="aarch64"),
    ],
)
def test_resolve_build_unknown(matrices: Matrices, env: Environment) -> None:
    assert tfc.resolve_build(env, matrices) is None


def test_module_takes_part_in_the_build_protocol() -> None:
    assert framework_module("tensorflow") is tfc


# --------------------------------------------------------------------------- stacks


@pytest.mark.parametrize(
    ("kwargs", "first", "count"),
    [
        ({"python": "3.10.12"}, 'pip install "tensorflow-cpu==2.21.0" "keras>=3.12.0,<3.13.0"', 14),
        ({"python": "3.13.1"}, 'pip install "tensorflow-cpu==2.21.0" "keras>=3.12.0"', 2),
        ({"python": "3.14.0"}, None, 0),
        (
            {"python": "3.12.1", "max_cuda": "12.4", "gpu_ccs": ("8.6",)},
            'pip install "tensorflow[and-cuda]==2.17.1" "keras>=3.2.0"',
            2,
        ),
        (
            {"python": "3.11.9", "max_cuda": "11.8", "gpu_ccs": ("7.5",)},
            'pip install "tensorflow[and-cuda]==2.14.1" "keras==2.14.0" "numpy<2"',
            3,
        ),
        (
            {"python": "3.11.9", "max_cuda": "12.8", "gpu_ccs": ("5.2",)},
            'pip install "tensorflow[and-cuda]==2.16.2" "keras>=3.0.0"',
            5,
        ),  # sm_50 until 2.16
        (
            {"python": "3.11.9", "system": "Darwin", "machine": "arm64"},
            'pip install "tensorflow==2.21.0" "keras>=3.12.0"',
            10,
        ),
    ],
)
def test_compatible_stacks(
    matrices: Matrices, kwargs: dict[str, object], first: str | None, count: int
) -> None:
    stacks = tfc.compatible_stacks(matrices, **kwargs)  # type: ignore[arg-type]
    assert len(stacks) == count
    assert (stacks[0].command if stacks else None) == first
    versions = [s.tensorflow for s in stacks]
    assert versions == sorted(versions, key=lambda v: tuple(int(p) for p in v.split(".")), reverse=True)


def test_stack_fields(matrices: Matrices) -> None:
    stack = tfc.compatible_stacks(matrices, python="3.11.9", max_cuda="12.2", gpu_ccs=("8.0",))[0]
    assert (stack.tensorflow, stack.distribution, stack.cuda) == ("2.15.1", "tensorflow", "12.2")
    assert (stack.keras, stack.tf_keras, stack.numpy) == (
        "keras==2.15.0",
        "tf-keras~=2.15.0",
        "<2.0.0,>=1.23.5",
    )


@pytest.mark.parametrize(
    ("max_cuda", "ccs", "expected"),
    [
        ("12.2", ("8.0",), 'pip install "tensorflow[and-cuda]==2.15.1" "keras==2.15.0"'),
        # tensorflow-cpu installs the same package as the tensorflow in place: that goes first
        (None, ("8.0",), 'pip uninstall -y tensorflow; pip install "tensorflow-cpu==2.15.1" "keras==2.15.0"'),
        ("12.8", ("9.0",), 'pip install "tensorflow[and-cuda]==2.15.1" "keras==2.15.0"'),  # PTX 8.0
        ("12.0", ("8.0",), 'pip install "tensorflow[and-cuda]==2.14.1" "keras==2.14.0" "numpy<2"'),
        ("10.2", ("7.0",), None),  # no TensorFlow in the data was built for CUDA <= 10.2
    ],
)
def test_suggest_build(
    matrices: Matrices, max_cuda: str | None, ccs: tuple[str, ...], expected: str | None
) -> None:
    env = env_of(("tensorflow", "2.15.0"))
    build = ResolvedBuild("tensorflow", ("tensorflow",), "2.15.0", "cu122", "12.2")
    assert tfc.suggest_build(env, matrices, build, max_cuda=max_cuda, gpu_ccs=ccs) == expected


def test_numpy_range_caps_numpy1_builds(matrices: Matrices) -> None:
    view = tfc.tensorflow_matrix(matrices)
    releases = [view.release_for(v) for v in ("2.14.0", "2.15.1", "2.21.0")]
    ranges = {r.version: tfc.numpy_range(r) for r in releases if r is not None}
    assert ranges == {"2.14.0": ">=1.23.5,<2", "2.15.1": "<2.0.0,>=1.23.5", "2.21.0": ">=1.26.0"}


def test_probe_status_not_ok_falls_back_to_matrix(matrices: Matrices) -> None:
    broken = BuildInfo(
        framework="tensorflow",
        distribution="tensorflow",
        status=ProbeStatus.ERROR,
        detail="cannot read build_info.py",
    )
    env = env_of(("tensorflow", "2.17.0"), builds=(broken,))
    build = tfc.resolve_build(env, matrices)
    assert build is not None and (build.cuda, build.source) == ("12.3", "pin")
