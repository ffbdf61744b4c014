"""The torch matrix views: schema, validation errors, queries and the builds protocol."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from compataudit.compat import torch as tm
from compataudit.compat.builds import ResolvedBuild
from compataudit.compat.matrices import Matrices, default_directory, load_matrices
from compataudit.errors import MatrixError
from compataudit.model import (
    BuildInfo,
    Environment,
    ProbeStatus,
)
from tests.envs import environment

TOML = default_directory() / "torch.toml"


def ctx_for(
    *pkgs: tuple[str, str], python: str = "3.11.7", system: str = "Linux", builds: tuple[BuildInfo, ...] = ()
) -> tuple[Environment, Matrices]:
    return environment(*pkgs, python=python, system=system, pinned=True, builds=builds), load_matrices()


# --------------------------------------------------------------------------- schema


def test_every_row_loads_through_the_views() -> None:
    m = load_matrices()
    view = tm.torch_matrix(m)
    assert len(view.releases) == len(m.rows("torch", "release"))
    assert len(view.variants) == len(m.rows("torch", "variant"))
    assert len(view.torchvision) == len(m.rows("torch", "torchvision"))
    assert len(view.torchaudio) == len(m.rows("torch", "torchaudio"))
    assert len(view.pypi_platforms) == len(m.rows("torch", "pypi_platform"))
    keys = [r.key for r in view.releases]
    assert keys == sorted(set(keys)), "one row per torch minor, sorted"
    for release in view.releases:
        assert release.sources and all(s.startswith("https://") for s in release.sources)
    for variant in view.variants:  # each names a variant its releases really built
        for minor in variant.torch:
            built = tm.release_for(m, minor)
            assert built is not None and variant.variant in built.variants


def test_views_are_built_once_per_matrices() -> None:
    m = load_matrices()
    assert tm.torch_matrix(m) is tm.torch_matrix(m)
    assert m.views["torch"] is tm.torch_matrix(m)


BROKEN_ROWS = [
    pytest.param(
        "variant",
        'torch = ["2.5"]\nvariant = "cu124"\narchs = ["sm_80"]',
        "'archs' must be a list of \"X.Y\" strings",
        id="archs-not-X.Y",
    ),
    pytest.param(
        "variant", 'torch = ["2.5"]\nvariant = "cuda12"', "'variant' must be", id="bad-variant-name"
    ),
    pytest.param(
        "variant",
        'torch = ["2.5"]\nvariant = "cu124"\ncuda = "12.1.0"',
        "'cuda' must be a CUDA version of the cu124 variant",
        id="cuda-vs-variant",
    ),
    pytest.param(
        "release",
        'torch = "2.99"\npython = ">=3.10,<"\nvariants = ["cpu"]\nnumpy2 = true',
        "'python' must be a version specifier",
        id="bad-specifier",
    ),
    pytest.param(
        "release",
        'torch = "2.99"\npython = ">=3.10"\nvariants = ["cpu"]\ndefault_variant = "cu124"\nnumpy2 = true',
        "'default_variant' must be one of the row's 'variants'",
        id="default-not-built",
    ),
    pytest.param(
        "release",
        'torch = "2.99"\npython = ">=3.10"\nvariants = ["cpu"]',
        "'numpy2' must be true or false",
        id="numpy2-missing",
    ),
    pytest.param(
        "torchvision", 'torch = "2.99"\ntorchvision = "0.x"', "'torchvision' must be", id="torchvision-minor"
    ),
    pytest.param(
        "torchaudio",
        'torchaudio = "2.99"\ntorch = ">=2.99"\npairs = [["2.99.0"]]',
        "'pairs' must be",
        id="pairs-shape",
    ),
]


@pytest.mark.parametrize(("table", "body", "message"), BROKEN_ROWS)
def test_malformed_row_names_file_and_row(tmp_path: Path, table: str, body: str, message: str) -> None:
    shutil.copy(TOML, tmp_path / "torch.toml")
    rows = len(load_matrices().rows("torch", table))
    with (tmp_path / "torch.toml").open("a") as fh:
        fh.write(f'\n[[{table}]]\n{body}\nsource = "https://example.org/broken"\n')
    with pytest.raises(MatrixError) as err:
        tm.torch_matrix(Matrices(tmp_path))
    text = str(err.value)
    assert f"torch.toml: [[{table}]] row {rows + 1}: " in text
    assert message in text


# --------------------------------------------------------------------------- queries


@pytest.mark.parametrize(
    ("version", "minor"),
    [
        ("2.5.1+cu124", "2.5"),
        ("2.5.1", "2.5"),
        ("2.4.0a0+git1234abc", "2.4"),
        ("2.7.0.dev20250101+cu128", "2.7"),
        ("2.4.0a0+07cecf4168.nv24.5", "2.4"),
        ("1.12.1", "1.12"),
        ("2.14.1", "2.14"),
        ("2.15.0", "2.15"),
        ("2.16.0", None),
        ("1.11.0", None),
        ("garbage", None),
        ("", None),
    ],
)
def test_release_lookup_maps_to_the_minor(version: str, minor: str | None) -> None:
    release = tm.release_for(load_matrices(), version)
    assert (release.minor if release else None) == minor


@pytest.mark.parametrize(
    ("version", "unofficial"),
    [
        ("2.5.1", False),
        ("2.5.1+cu124", False),
        ("2.9.0+rocm6.4", False),
        ("2.7.0+xpu", False),
        ("2.7.0.dev20250101+cu128", True),
        ("2.4.0a0+git1234abc", True),
        ("2.6.0rc1", True),
        ("2.3.0+nv24.5", True),
        ("junk", False),
    ],
)
def test_unofficial_builds(version: str, unofficial: bool) -> None:
    assert tm.is_unofficial(version) is unofficial


@pytest.mark.parametrize(
    ("version", "system", "expected"),
    [
        ("2.5.1", "Linux", "cu124"),  # pytorch/pytorch#134015
        ("2.6.0", "Linux", "cu124"),  # pytorch/pytorch#138609
        ("2.8.0", "Linux", "cu128"),  # pytorch/test-infra#6825
        ("2.11.0", "Linux", "cu130"),  # pytorch/pytorch#172663
        ("2.14.0", "Linux", "cu130"),  # the PyPI wheel: cuda-toolkit==13.0.3 (#190355 proposed cu132)
        ("2.15.0", "Linux", "cu132"),  # the PyPI wheel: cuda-toolkit==13.2.2
        ("1.13.1", "Linux", "cu117"),  # test-infra matrix at 1.13.0
        # pytorch/builder release/pypi/promote_pypi_to_staging.sh (+cuXYZ promoted to PyPI),
        # cross-checked with the nvidia-cuda-runtime pin of the PyPI wheel's metadata
        ("1.12.1", "Linux", "cu102"),  # builder 5c4d2fa1: LINUX_VERSION_SUFFIX=+cu102
        ("2.0.1", "Linux", "cu117"),  # builder 8f2fdc7e; wheel: nvidia-cuda-runtime-cu11==11.7.99
        ("2.1.0", "Linux", "cu121"),  # builder b39cccf5; wheel: nvidia-cuda-runtime-cu12==12.1.105
        ("2.2.2", "Linux", "cu121"),  # builder b8539eb5
        ("2.3.1", "Linux", "cu121"),  # builder 2a8481b4
        ("2.4.1+cu118", "Linux", "cu121"),  # the plain-PyPI build, whatever the pin says
        ("2.10.0", "Linux", "cu128"),  # test-infra e8208cf2 STABLE "12.8"; wheel cuda-runtime 12.8
        ("1.12.1", "Windows", "cpu"),
        ("2.5.1", "Windows", "cpu"),  # plain pip is the CPU build off Linux
        ("2.5.1", "Darwin", "cpu"),
        ("2.16.0", "Linux", None),
    ],
)
def test_default_variant(version: str, system: str, expected: str | None) -> None:
    assert tm.default_variant(load_matrices(), version, system=system) == expected


def test_pairs_both_ways() -> None:
    m = load_matrices()
    assert tm.torchvision_for_torch(m, "2.5.1+cu124").torchvision == "0.20"  # type: ignore[union-attr]
    assert tm.torch_for_torchvision(m, "0.28.0").torch == "2.13"  # type: ignore[union-attr]
    assert tm.torch_for_torchvision(m, "0.99.0") is None
    assert tm.torchaudio_for_torch(m, "2.13.0").torchaudio == "2.11"  # type: ignore[union-attr]
    assert tm.torchaudio_for_torch(m, "2.0.1").torchaudio == "2.0"  # type: ignore[union-attr]
    assert tm.audio_row(m, "2.0.2").torch == ">=2.0,<2.1"  # type: ignore[union-attr]
    assert tm.exact_pair(tm.audio_row(m, "2.0.2").pairs, "2.0.1+cu118") == "2.0.2"  # type: ignore[union-attr]
    assert tm.python_range(m, "2.9.0") == ">=3.10,<3.15"


@pytest.mark.parametrize(
    ("version", "variant", "cc", "expected"),
    [
        ("2.13.0", "cu130", "8.9", "sass"),  # sm_86 SASS runs on 8.9
        ("2.13.0", "cu130", "12.1", "sass"),
        ("2.13.0", "cu130", "7.0", None),  # Volta dropped from CUDA 13 builds
        ("2.13.0", "cu126", "7.0", "sass"),
        ("2.13.0", "cu126", "6.1", "sass"),
        ("2.13.0", "cu130", "13.0", None),  # the PyPI cu130 wheel has no PTX (its -gencode list)
        ("2.13.0", "cu132", "13.0", "ptx"),  # newer than any SASS: only the 12.0 PTX (#188914)
        ("2.12.1", "cu132", "13.0", None),  # release wheels strip +PTX (#188914)
        ("2.10.0", "cu128", "13.0", None),  # no PTX in the 12.8 build
        ("2.11.0", "cu128", "7.0", None),  # Volta removed from 2.11 cu128 (#175253)
        ("2.10.0", "cu128", "7.0", "sass"),
        # pytorch/builder manywheel/build_cuda.sh on release/1.12 ... release/2.5
        ("1.12.1", "cu102", "3.7", "sass"),  # 10.* arm: 3.7;5.0;6.0;7.0
        ("1.12.1", "cu102", "7.5", "sass"),  # sm_70 SASS runs on 7.5
        ("1.12.1", "cu102", "8.0", None),
        ("1.13.1", "cu117", "8.6", "sass"),
        ("1.13.1", "cu117", "9.0", None),  # 9.0 first in the 11.8 arm of release/2.0
        ("2.0.1", "cu118", "9.0", "sass"),
        ("2.3.1", "cu118", "3.7", "sass"),  # 11.8 arm keeps Kepler
        ("2.1.2", "cu121", "3.7", None),  # 12.1 arm has no 3.7
        ("2.5.1", "cu124", "8.9", "sass"),
        ("2.5.1", "cu124", "12.0", None),  # no +PTX in any 2.5 build (#2008 reverted it)
        ("2.4.0", "cu121", "6.1", "sass"),
    ],
)
def test_cc_coverage(version: str, variant: str, cc: str, expected: str | None) -> None:
    info = tm.variant_info(load_matrices(), version, variant)
    assert info is not None
    assert tm.cc_coverage(info, cc) == expected


def test_arch_names_match_get_arch_list_spelling() -> None:
    info = tm.variant_info(load_matrices(), "2.13.0", "cu132")
    assert info is not None
    assert info.arch_names() == ("sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120", "compute_120")
    old = tm.variant_info(load_matrices(), "2.0.1", "cu118")  # builder 0534e9d1, 11.8 arm
    assert old is not None
    assert old.arch_names() == ("sm_37", "sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90")


@pytest.mark.parametrize(
    ("torch", "vision"),
    [
        ("1.12.1+cu113", "0.13.1"),
        ("1.13.0", "0.14.0"),
        ("2.0.0", "0.15.1"),
        ("2.0.1", "0.15.2"),  # 0.15.0 was never on PyPI
        ("2.2.1", "0.17.1"),
        ("2.4.0", "0.19.0"),
        ("2.5.1+cu121", "0.20.1"),
        ("2.6.0", "0.21.0"),
        ("2.7.1", "0.22.1"),
        ("2.8.0", "0.23.0"),
        ("2.9.1", "0.24.1"),
        ("2.10.0", "0.25.0"),
        ("2.11.0", "0.26.0"),
        ("2.12.0", "0.27.0"),
        ("2.12.1", "0.27.1"),
        ("2.13.0", "0.28.0"),
    ],
)
def test_torchvision_exact_pairs_from_wheel_metadata(torch: str, vision: str) -> None:
    """Each pair is the ``Requires-Dist: torch==X`` of the torchvision wheel on PyPI."""
    row = tm.torchvision_for_torch(load_matrices(), torch)
    assert row is not None
    assert tm.exact_pair(row.pairs, torch) == vision


def test_torchvision_unknown_patch_has_no_exact_pair() -> None:
    row = tm.torchvision_for_torch(load_matrices(), "2.13.1")
    assert row is not None and row.torchvision == "0.28"
    assert tm.exact_pair(row.pairs, "2.13.1") is None


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"torch": "2.5.1", "variant": "cu124", "torchvision": "0.20.1"},
            "pip install torch==2.5.1 torchvision==0.20.1",
        ),
        (
            {"torch": "2.5.1", "variant": "cu121", "torchvision": "0.20.1", "torchaudio": "2.5.1"},
            "pip install torch==2.5.1 torchvision==0.20.1 torchaudio==2.5.1"
            " --index-url https://download.pytorch.org/whl/cu121",
        ),
        (
            {"torch": "2.13", "variant": "cpu", "torchvision": "0.28"},
            'pip install "torch==2.13.*" "torchvision==0.28.*"'
            " --index-url https://download.pytorch.org/whl/cpu",
        ),
        ({"torch": "2.10.0", "variant": "cu128"}, "pip install torch==2.10.0"),  # PyPI default
        (
            {"torch": "2.10.0", "variant": "cu126"},
            "pip install torch==2.10.0 --index-url https://download.pytorch.org/whl/cu126",
        ),
        (
            {"torch": "1.12.1", "variant": "cu102", "torchvision": "0.13.1"},
            "pip install torch==1.12.1 torchvision==0.13.1",
        ),
        (
            {"torch": "1.12.1", "variant": "cu113"},
            "pip install torch==1.12.1 --index-url https://download.pytorch.org/whl/cu113",
        ),
        ({"torch": "2.5.1", "variant": "cpu", "system": "Windows"}, "pip install torch==2.5.1"),
        ({"torch": "2.5.1", "variant": None}, "pip install torch==2.5.1"),
    ],
)
def test_install_command(kwargs: dict[str, Any], expected: str) -> None:
    assert tm.install_command(load_matrices(), **kwargs) == expected


def test_compatible_sets_newest_first_and_filtered() -> None:
    m = load_matrices()
    cpu = tm.compatible_sets(m, python="3.9.18")
    assert [s.torch for s in cpu] == [
        "2.8",
        "2.7",
        "2.6",
        "2.5",
        "2.4",
        "2.3",
        "2.2",
        "2.1",
        "2.0",
        "1.13",
        "1.12",
    ]
    assert cpu[0].variant == "cpu" and cpu[0].torchvision == "0.23"
    pascal = tm.compatible_sets(m, python="3.12", max_cuda="13.0", gpu_ccs=("6.1",))
    # 2.8's cu126 list is unknown (only its cu128 PyPI wheel was read): not promised
    assert [(s.torch, s.variant) for s in pascal] == [
        ("2.14", "cu126"),
        ("2.13", "cu126"),
        ("2.12", "cu126"),
        ("2.11", "cu126"),
        ("2.10", "cu126"),
        ("2.9", "cu126"),
        ("2.7", "cu126"),
        ("2.6", "cu124"),
        ("2.5", "cu124"),
        ("2.4", "cu124"),
    ]
    # Kepler K80 (sm_37) under a CUDA 11.4 driver: builder release/1.12 cu113 carries 3.7
    kepler = tm.compatible_sets(m, python="3.10", max_cuda="11.4", gpu_ccs=("3.7",))
    assert [(s.torch, s.variant) for s in kepler] == [("1.12", "cu113")]
    # Ada (8.9) under a CUDA 12.2 driver on Python 3.9: sm_86 SASS in every build <= 12.1
    ada = tm.compatible_sets(m, python="3.9", max_cuda="12.2", gpu_ccs=("8.9",))
    assert [(s.torch, s.variant) for s in ada] == [
        ("2.5", "cu121"),
        ("2.4", "cu121"),
        ("2.3", "cu121"),
        ("2.2", "cu121"),
        ("2.1", "cu121"),
        ("2.0", "cu118"),
        ("1.13", "cu117"),
        ("1.12", "cu116"),
    ]
    blackwell = tm.compatible_sets(m, python="3.12", max_cuda="12.8", gpu_ccs=("12.0",))
    assert [(s.torch, s.variant) for s in blackwell] == [
        ("2.11", "cu128"),
        ("2.10", "cu128"),
        ("2.9", "cu128"),
        ("2.8", "cu128"),  # the list baked into the 2.8.0 PyPI wheel has sm_120
    ]
    assert blackwell[0].command == (
        'pip install "torch==2.11.*" "torchvision==0.26.*" '
        '"torchaudio==2.11.*" --index-url '
        "https://download.pytorch.org/whl/cu128"
    )
    assert tm.compatible_sets(m, python="3.6") == []


# --------------------------------------------------------------------------- builds protocol


def _probe(cuda: str | None, version: str = "2.13.0", hip: str | None = None) -> BuildInfo:
    return BuildInfo(
        framework="torch",
        distribution="torch",
        version=version,
        cuda=cuda,
        hip=hip,
        source="/site-packages/torch/version.py",
        status=ProbeStatus.OK,
    )


@pytest.mark.parametrize(
    ("pkgs", "builds", "expected"),
    [
        ((("torch", "2.5.1+cu121"),), (), ("cu121", "12.1", "pin")),
        ((("torch", "2.5.1"),), (), ("cu124", "12.4", "matrix")),  # PyPI default
        ((("torch", "2.9.0+cpu"),), (), ("cpu", None, "pin")),
        ((("torch", "2.13.0"),), (_probe(None),), ("cpu", None, "version.py")),
        ((("torch", "2.13.0"),), (_probe("13.0"),), ("cu130", "13.0", "version.py")),
        ((("torch", "2.7.0+rocm6.3"),), (), ("rocm6.3", None, "pin")),
        ((("torch", "2.7.0"),), (_probe(None, "2.7.0", hip="6.3.42131"),), ("rocm6.3", None, "version.py")),
        ((("torch", "1.12.1"),), (), ("cu102", "10.2", "matrix")),  # builder promotion script
        ((("torch", "2.1.2"),), (), ("cu121", "12.1", "matrix")),
        ((("torch", "2.10.0"),), (), ("cu128", "12.8", "matrix")),  # test-infra e8208cf2
    ],
)
def test_resolve_build(
    pkgs: tuple[tuple[str, str], ...], builds: tuple[BuildInfo, ...], expected: tuple[str, str | None, str]
) -> None:
    build = tm.resolve_build(*ctx_for(*pkgs, builds=builds))
    assert build is not None
    assert (build.variant, build.cuda, build.source) == expected


def test_resolve_build_carries_matrix_archs_and_cudnn() -> None:
    build = tm.resolve_build(*ctx_for(("torch", "2.12.1")))
    assert build == ResolvedBuild(
        framework="torch",
        components=("torch",),
        version="2.12.1",
        variant="cu130",
        cuda="13.0",
        archs=("sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"),
        cudnn="9.20.0.48",
        source="matrix",
    )


@pytest.mark.parametrize("version", ["1.11.0", "2.16.0", "not-a-version"])
def test_resolve_build_unknown_variant_is_none(version: str) -> None:
    assert tm.resolve_build(*ctx_for(("torch", version))) is None


@pytest.mark.parametrize(
    ("version", "archs", "cudnn"),
    [
        # PyPI 2.4 is cu121: builder release/2.4 12.1 arm, cuDNN of the wheel's pins
        ("2.4.1", ("sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"), "9.1.0.70"),
        # PyPI 2.11 is cu130: its wheel pins nvidia-cudnn-cu13==9.19.0.56 and carries no PTX
        ("2.11.0", ("sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"), "9.19.0.56"),
        # PyPI 2.7 is cu126 (the list baked into the wheel): no Blackwell
        ("2.7.0", ("sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"), "9.5.1.17"),
    ],
)
def test_resolve_build_default_variant_archs_and_cudnn(
    version: str, archs: tuple[str, ...], cudnn: str
) -> None:
    build = tm.resolve_build(*ctx_for(("torch", version)))
    assert build is not None and build.source == "matrix"
    assert (build.archs, build.cudnn) == (archs, cudnn)


def test_resolve_build_without_torch() -> None:
    assert tm.resolve_build(*ctx_for(("numpy", "2.0.0"))) is None


@pytest.mark.parametrize(
    ("pkgs", "python", "max_cuda", "ccs", "expected"),
    [
        # driver too old for cu130 but fine for 12.x: same release, cu126 build
        (
            (("torch", "2.13.0"), ("torchvision", "0.28.0")),
            "3.11",
            "12.8",
            (),
            # exact pair from the wheel metadata; the installed 2.13.0 is another build, so
            # the pins carry the label (a bare ==2.13.0 is "already satisfied")
            "pip install torch==2.13.0+cu126 torchvision==0.28.0+cu126 "
            "--index-url https://download.pytorch.org/whl/cu126",
        ),
        # no driver: the CPU build of the same release
        (
            (("torch", "2.5.1"),),
            "3.11",
            None,
            (),
            "pip install torch==2.5.1+cpu --index-url https://download.pytorch.org/whl/cpu",
        ),
        # Pascal GPU on the default 2.13 build: only cu126 carries sm_60
        (
            (("torch", "2.13.0"),),
            "3.11",
            "13.0",
            ("6.1",),
            "pip install torch==2.13.0+cu126 --index-url https://download.pytorch.org/whl/cu126",
        ),
        # 2.8's cu129 list is not in the data: its PyPI cu128 build (read from the wheel)
        (
            (("torch", "2.8.0+cu129"),),
            "3.11",
            "12.9",
            ("8.6",),
            "pip install torch==2.8.0+cu128 --index-url https://download.pytorch.org/whl/cu128",
        ),  # cu128 is 2.8's PyPI default, but PyPI's unlabelled 2.8.0 would keep the cu129 build
        # Kepler K80 on torch 2.1 (PyPI cu121 has no sm_37): the 11.8 build of the same release
        (
            (("torch", "2.1.2"), ("torchvision", "0.16.2")),
            "3.11",
            "12.2",
            ("3.7",),
            "pip install torch==2.1.2+cu118 torchvision==0.16.2+cu118 --index-url https://download.pytorch.org/whl/cu118",
        ),
    ],
)
def test_suggest_build(
    pkgs: tuple[tuple[str, str], ...], python: str, max_cuda: str | None, ccs: tuple[str, ...], expected: str
) -> None:
    ctx = ctx_for(*pkgs, python=python)
    build = tm.resolve_build(*ctx)
    assert build is not None
    assert tm.suggest_build(*ctx, build, max_cuda=max_cuda, gpu_ccs=ccs) == expected


def test_suggest_build_none_when_nothing_fits() -> None:
    ctx = ctx_for(("torch", "2.13.0"), python="3.11")
    build = tm.resolve_build(*ctx)
    assert build is not None
    assert tm.suggest_build(*ctx, build, max_cuda="11.0", gpu_ccs=("8.0",)) is None
