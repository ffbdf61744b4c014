"""The CUDA / driver / GPU queries, against the shipped matrices and broken copies of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from compataudit.compat import cuda
from compataudit.compat.matrices import Matrices
from compataudit.errors import MatrixError
from tests.compat.matrix_copies import broken_copy

MATRIX_DIR = Path(__file__).resolve().parents[2] / "matrices"
MATRICES = Matrices(MATRIX_DIR)


@pytest.mark.parametrize(
    ("cuda_version", "system", "expected"),
    [
        pytest.param("11.8", "Linux", "450.80.02", id="mvc-11-linux-450.80.02"),
        pytest.param("11.0", "Windows", "452.39", id="mvc-11-windows-452.39"),
        pytest.param("12.4", "Linux", "525.60.13", id="mvc-12-linux-525.60.13"),
        pytest.param("12.9.1", "Windows", "527.41", id="mvc-12-windows-527.41"),
        pytest.param("13.0", "Linux", "580.65.06", id="mvc-13-linux-580.65.06"),
        pytest.param("13.2", "Windows", "580.88", id="mvc-13-windows-cuda-python-580.88"),
        pytest.param("10.2", "Linux", "440.33", id="no-mvc-10.2-own-minimum"),
        pytest.param("10.0", "Windows", "411.31", id="no-mvc-10.0-windows"),
        pytest.param("14.0", "Linux", None, id="unknown-major"),
        pytest.param("9.2", "Linux", None, id="older-than-data"),
        pytest.param("garbage", "Linux", None, id="garbage"),
        pytest.param("12.4", "Darwin", None, id="macos-no-driver"),
    ],
)
def test_driver_floor(cuda_version: str, system: str, expected: str | None) -> None:
    assert cuda.driver_floor(MATRICES, cuda_version, system) == expected


@pytest.mark.parametrize(
    ("cuda_version", "system", "expected"),
    [
        pytest.param("12.4", "Linux", "550.54.14", id="12.4-GA"),
        pytest.param("12.4.0", "Linux", "550.54.14", id="12.4.0-is-GA"),
        pytest.param("12.4.1", "Linux", "550.54.15", id="12.4-update-1"),
        pytest.param("12.4.1", "Windows", "551.78", id="12.4-update-1-windows"),
        pytest.param("12.3.2", "Linux", "545.23.08", id="12.3.2-falls-back-to-update-1"),
        pytest.param("12.6.1", "Linux", "560.35.03", id="12.6-update-1"),
        pytest.param("12.8", "Linux", "570.26", id="12.8-two-part-driver"),
        pytest.param("11.8", "Windows", "520.06", id="11.8-windows"),
        pytest.param("13.0", "Windows", None, id="13.0-windows-NA"),
        pytest.param("13.0.2", "Linux", "580.95.05", id="13.0-update-2"),
        pytest.param("12.7", "Linux", None, id="no-12.7-release"),
        pytest.param("", "Linux", None, id="empty"),
    ],
)
def test_toolkit_min_driver(cuda_version: str, system: str, expected: str | None) -> None:
    assert cuda.toolkit_min_driver(MATRICES, cuda_version, system) == expected


@pytest.mark.parametrize(
    ("driver", "through_mvc", "expected"),
    [
        pytest.param("550.54.14", True, "12.9", id="550-mvc-newest-12"),
        pytest.param("550.54.14", False, "12.4", id="550-full-12.4"),
        pytest.param("560.35.03", False, "12.6", id="560.35.03-full-12.6"),
        pytest.param("580.65.06", True, "13.2", id="580-newest-13"),
        pytest.param("580.65.06", False, "13.0", id="580-full-13.0"),
        pytest.param("535.104.05", False, "12.2", id="535-full-12.2"),
        pytest.param("470.82.01", True, "11.8", id="470-mvc-11.8"),
        pytest.param("470.82.01", False, "11.4", id="470-full-11.4"),
        pytest.param("450.51.05", True, "11.0", id="450.51.05-11.0-own-minimum"),
        pytest.param("450.36.06", True, "10.2", id="450.36-below-11"),
        pytest.param("418.39", True, "10.1", id="418-10.1"),
        pytest.param("410.47", True, None, id="older-than-10.0"),
        pytest.param("garbage", True, None, id="garbage"),
        pytest.param("", True, None, id="empty"),
        pytest.param("550.x.14", True, None, id="non-numeric-part"),
    ],
)
def test_max_cuda_for_driver(driver: str, through_mvc: bool, expected: str | None) -> None:
    assert cuda.max_cuda_for_driver(MATRICES, driver, through_mvc=through_mvc) == expected


def test_max_cuda_for_driver_windows_skips_na_rows() -> None:
    # CUDA 13 rows have no Windows driver in Table 3; only the MVC floor admits them
    assert cuda.max_cuda_for_driver(MATRICES, "580.88", "Windows") == "13.2"
    assert cuda.max_cuda_for_driver(MATRICES, "580.88", "Windows", through_mvc=False) == "12.9"
    assert cuda.max_cuda_for_driver(MATRICES, "580.88", "Darwin") is None


def test_driver_requirement_collects_sources() -> None:
    need = cuda.driver_requirement(MATRICES, "12.4")
    assert (need.floor, need.toolkit_min, need.toolkit_label) == ("525.60.13", "550.54.14", "CUDA 12.4 GA")
    assert any("minor-version-compatibility" in s for s in need.sources)
    assert any("cuda-toolkit-release-notes" in s for s in need.sources)


@pytest.mark.parametrize(
    ("cc", "archs", "expected"),
    [
        pytest.param("8.6", ("sm_80",), "sass", id="sass-same-major-higher-minor"),
        pytest.param("8.9", ("sm_80", "sm_86"), "sass", id="ada-on-ampere-sass"),
        pytest.param("8.0", ("sm_86",), "none", id="sass-lower-minor-fails"),
        pytest.param("9.0", ("sm_80", "sm_86"), "none", id="8x-cubin-not-on-9.0"),
        pytest.param("9.0", ("sm_80", "compute_80"), "ptx", id="ptx-jit-forward"),
        pytest.param("12.0", ("sm_90", "compute_90"), "ptx", id="blackwell-rtx-ptx-only"),
        pytest.param("7.5", ("compute_80",), "none", id="ptx-not-backward"),
        pytest.param("10.3", ("sm_100",), "sass", id="b300-on-sm100"),
        pytest.param("9.0", ("sm_90a",), "sass", id="arch-specific-exact"),
        pytest.param("10.0", ("sm_90a",), "none", id="arch-specific-no-forward"),
        pytest.param("10.3", ("sm_100f",), "sass", id="family-specific"),
        pytest.param("8.6", ("8.0",), "sass", id="dotted-spelling"),
        pytest.param("9.0", ("8.0+PTX",), "ptx", id="dotted-plus-ptx"),
        pytest.param("8.6", ("SM_86",), "sass", id="upper-case"),
        pytest.param("8.6", ("bogus", "sm_x"), "none", id="unknown-spellings-ignored"),
        pytest.param("8.6", (), "none", id="no-archs"),
        pytest.param("eight", ("sm_80",), "none", id="unparsable-cc"),
    ],
)
def test_arch_supported(cc: str, archs: tuple[str, ...], expected: str) -> None:
    assert cuda.arch_supported(cc, archs) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8.6", (8, 6)),
        ("12.0", (12, 0)),
        ("sm_86", (8, 6)),
        ("sm_120", (12, 0)),
        (" 7.5 ", (7, 5)),
        ("8", None),
        ("", None),
        (None, None),
        ("x.y", None),
    ],
)
def test_parse_cc(text: str | None, expected: tuple[int, int] | None) -> None:
    assert cuda.parse_cc(text) == expected


@pytest.mark.parametrize(
    ("cc", "family"),
    [
        ("8.0", "Ampere"),
        ("8.9", "Ada Lovelace"),
        ("9.0", "Hopper"),
        ("12.0", "Blackwell"),
        ("7.5", "Turing"),
        ("3.7", "Kepler"),
        ("6.1", "Pascal"),
        ("99.9", None),
        ("junk", None),
    ],
)
def test_gpu_family(cc: str, family: str | None) -> None:
    assert cuda.gpu_family(MATRICES, cc) == family


@pytest.mark.parametrize(
    ("name", "cc"),
    [
        pytest.param("NVIDIA A100-SXM4-80GB", "8.0", id="a100"),
        pytest.param("NVIDIA H100 80GB HBM3", "9.0", id="h100"),
        pytest.param("NVIDIA GH200 480GB", "9.0", id="gh200"),
        pytest.param("NVIDIA GeForce RTX 4090", "8.9", id="rtx4090"),
        pytest.param("NVIDIA GeForce RTX 5090", "12.0", id="rtx5090"),
        pytest.param("Tesla T4", "7.5", id="t4"),
        pytest.param("Tesla V100-SXM2-16GB", "7.0", id="v100"),
        pytest.param("Tesla P100-PCIE-16GB", "6.0", id="p100"),
        pytest.param("GeForce GTX 1080 Ti", "6.1", id="gtx1080ti"),
        pytest.param("Tesla K80", "3.7", id="k80"),
        pytest.param("NVIDIA B200", "10.0", id="b200"),
        pytest.param("NVIDIA GB300", "10.3", id="gb300"),
        pytest.param("NVIDIA A10", "8.6", id="a10-not-a100"),
        pytest.param("NVIDIA L4", "8.9", id="l4-not-l40"),
        pytest.param("NVIDIA RTX A4000", "8.6", id="rtx-a4000"),
        pytest.param("Quadro RTX 4000", "7.5", id="quadro-rtx-4000"),
        pytest.param("NVIDIA RTX 4000 Ada Generation", "8.9", id="rtx-4000-ada"),
        pytest.param("GeForce GTX TITAN X", "5.2", id="maxwell-titan-x-longest-match"),
        pytest.param("NVIDIA TITAN X (Pascal)", "6.1", id="pascal-titan-x"),
        pytest.param("NVIDIA RTX PRO 6000 Blackwell Server Edition", "12.0", id="rtx-pro-6000"),
        pytest.param("Matrox G200", None, id="not-nvidia"),
        pytest.param("", None, id="empty"),
    ],
)
def test_cc_for_gpu_name(name: str, cc: str | None) -> None:
    assert cuda.cc_for_gpu_name(MATRICES, name) == cc


def test_views_are_cached_and_every_file_validates() -> None:
    fresh = Matrices(MATRIX_DIR)
    fresh.load_all()
    assert cuda.cuda_view(fresh) is cuda.cuda_view(fresh)
    assert cuda.gpu_view(fresh) is fresh.views["gpus"]
    view = cuda.cuda_view(fresh)
    assert set(view.mvc) == {11, 12, 13}
    assert [str(t.version) for t in view.toolkits][:1] == ["10.0.130"]
    assert all(t.sources and all(s.startswith("https://") for s in t.sources) for t in view.toolkits)


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        pytest.param(
            "cuda",
            'linux = "550.54.14"',
            'linux = "five-fifty"',
            r"cuda\.toml: \[\[toolkit\]\] row 36",
            id="bad-driver",
        ),
        pytest.param(
            "cuda",
            'version = "12.4.0"',
            'version = "12.4"',
            r"\[\[toolkit\]\] row 36: field 'version' must be a version X.Y.Z",
            id="two-part-version",
        ),
        pytest.param(
            "cuda", "cuda_major = 12", 'cuda_major = "12"', r"\[\[mvc\]\] row 2", id="mvc-major-str"
        ),
        pytest.param(
            "gpus",
            'cc = "8.9"\nfamily',
            'cc = "eight"\nfamily',
            r"gpus\.toml: \[\[family\]\] row 16",
            id="bad-cc",
        ),
        pytest.param(
            "cuda",
            'cc_min = "7.5"',
            'cc_min = "seven"',
            r"cuda\.toml: \[\[cudnn\]\] row 3: field 'cc_min' must be a compute capability",
            id="bad-cudnn-cc",
        ),
        pytest.param(
            "cuda",
            'cuda = ">=13.0,<13.2"',
            'cuda = "thirteen"',
            r"\[\[cudnn\]\] row 3: field 'cuda' must be a version specifier",
            id="bad-cudnn-cuda-range",
        ),
        pytest.param(
            "gpus",
            r"pattern = '\bT4\b'",
            "pattern = '(T4'",
            r"\[\[gpu\]\] row 16: field 'pattern' must be a regular expression",
            id="bad-regex",
        ),
    ],
)
def test_malformed_copy_names_file_and_row(
    tmp_path: Path, name: str, old: str, new: str, message: str
) -> None:
    broken = broken_copy(tmp_path, name, old, new)
    view = cuda.cuda_view if name == "cuda" else cuda.gpu_view
    with pytest.raises(MatrixError, match=message):
        view(broken)


def test_row_without_source_is_rejected_by_the_loader(tmp_path: Path) -> None:
    broken = broken_copy(
        tmp_path,
        "cuda",
        'label = "CUDA 12.4 GA"\nlinux = "550.54.14"\nwindows = "551.61"\n'
        'source = "https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/index.html"',
        'label = "CUDA 12.4 GA"\nlinux = "550.54.14"\nwindows = "551.61"',
    )
    with pytest.raises(MatrixError, match=r"cuda\.toml: \[\[toolkit\]\] row 36: every row needs a 'source'"):
        cuda.cuda_view(broken)
