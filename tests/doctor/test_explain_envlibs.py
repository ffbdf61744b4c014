"""``explain`` on the environment errors of issue 19 and the NotImplementedError texts of
issue 20: which signature fires, the facts each message carries, the environment
cross-check, and honesty where no known cause fits.

Every fixture is an error text copied from a public issue (its first line cites it);
the few inline texts are minimal shapes of a traceback, named as such.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from compataudit.doctor import demangle as demangle_module
from compataudit.doctor.diagnosis import Diagnosis
from compataudit.doctor.explain import explain_text
from compataudit.model import BuildInfo, Environment, Gpu, PlatformInfo, ProbeStatus, ToolkitInfo
from tests.doctor.explain_helpers import TRACEBACKS, first_diagnosis, make_env

# fixture prefix -> (top kind, signature that must fire)
CASES: dict[str, tuple[str, str]] = {
    "e01": ("torch-extension-mismatch", "X1"),
    "e04": ("torch-extension-mismatch", "X1"),
    "e06": ("torch-extension-mismatch", "X1"),
    "e08": ("torch-extension-mismatch", "X1"),
    "e11": ("cuda-libraries-missing", "X1"),
    "e12": ("cuda-libraries-missing", "X2"),
    "e14": ("cuda-libraries-missing", "X2"),
    "e16": ("cuda-libraries-missing", "X2"),
    "e18": ("torch-extension-mismatch", "X2"),
    "e20": ("cuda-libraries-missing", "X4"),
    "e24": ("cudnn-version-mismatch", "X3"),
    "e28": ("numpy-incompatible", "X5"),
    "e32": ("numpy-incompatible", "X5"),
    "e34": ("driver-too-old", "X6"),
    "e36": ("driver-too-old", "X6"),
    "e59": ("gpu-arch-unsupported", "X6"),
    "e37": ("ptx-toolchain-too-new", "X7"),
    "e41": ("glibcxx-too-old", "X8"),
    "e46": ("protobuf-incompatible", "X9"),
    "e48": ("jaxlib-version-mismatch", "X10"),
    "e51": ("jaxlib-version-mismatch", "X10"),
    "e53": ("cuda-toolkit-mismatch", "X11"),
    "e58": ("gpu-arch-unsupported", "X12"),
    "x01": ("pickled-path-platform", "P1"),
    "x03": ("pickled-path-platform", "P1"),
    "x06": ("missing-backward", "NIE-base"),
    "x07": ("missing-backward", "NIE-base"),
    "x12": ("non-static-autograd", "T7"),
    "x15": ("missing-method", "K4"),
}


def fixture(prefix: str) -> Path:
    (path,) = TRACEBACKS.glob(f"{prefix}_*.txt")
    return path


def top(prefix: str, env: Environment | None = None) -> Diagnosis:
    return first_diagnosis(fixture(prefix), env)


@pytest.mark.parametrize(("prefix", "expected"), CASES.items(), ids=list(CASES))
def test_the_right_signature_names_the_cause(prefix: str, expected: tuple[str, str]) -> None:
    kind, signature = expected
    diag = top(prefix)
    assert diag.kind == kind
    assert signature in diag.signatures
    assert diag.fix and diag.evidence and diag.sources


# --------------------------------------------------------------------------- facts from the text


def test_an_undefined_torch_symbol_is_demangled_and_its_extension_named() -> None:
    diag = top("e01")
    assert diag.summary.startswith("flash-attn (flash_attn_2_cuda")
    if demangle_module.demangle("_ZN3c104cuda9SetDeviceEi") is not None:  # a C++ runtime is here
        assert "c10::Error::Error(c10::SourceLocation" in diag.summary
    assert any("_GLIBCXX_USE_CXX11_ABI=1" in e for e in diag.evidence)
    assert "flash-attn" in diag.components


def test_the_old_abi_spelling_says_the_other_direction() -> None:
    diag = top("e05")  # torch-scatter wheel from PyPI inside an NGC container
    assert any("_GLIBCXX_USE_CXX11_ABI=0" in e for e in diag.evidence)
    assert diag.summary.startswith("torch-scatter (_version_cuda.so)")


def test_without_a_cxx_runtime_the_mangled_name_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demangle_module, "_runtime", lambda: None)
    diag = top("e02")
    assert diag.kind == "torch-extension-mismatch"
    assert "_ZN3c104cuda9SetDeviceEi" in diag.summary


def test_demangler_reads_the_itanium_names() -> None:
    readable = demangle_module.demangle("_ZN5torch3jit17parseSchemaOrNameERKSsb")
    if readable is None:
        pytest.skip("no C++ runtime with __cxa_demangle on this machine")
    assert readable == "torch::jit::parseSchemaOrName(std::string const&, bool)"
    assert demangle_module.demangle("ncclCommShrink") is None
    assert demangle_module.demangle("_Z" + "x" * 5000) is None


def test_torchs_own_nccl_symbol_is_a_library_on_the_path() -> None:
    diag = top("e11")
    assert "ncclCommShrink" in diag.summary and "older libnccl" in diag.summary


def test_a_free_function_of_the_extension_is_no_known_cause() -> None:
    """mmcv#1636: the user's own added op is undefined: a build problem, not another torch."""
    text = (
        "_ext.cpython-37m-x86_64-linux-gnu.so: undefined symbol: "
        "_Z30pyramid_deformable_im2col_cudaN2at6TensorES0_iiiiiiiiiiiiiffiiS0_"
    )
    assert explain_text(text) == []


def test_a_library_that_needs_another_one_says_both() -> None:
    diag = top("e13")
    assert "cuBLAS (CUDA 11) (libcublas.so.11)" in diag.summary
    assert "needed by libcudnn_ops_infer.so.8" in diag.summary
    assert "nvidia-cublas-cu11" in diag.fix


def test_libcuda_is_the_driver() -> None:
    diag = top("e14")
    assert "driver's own library" in diag.summary and diag.components == ("nvidia-driver",)


@pytest.mark.parametrize(
    ("prefix", "loaded", "built", "words"),
    [
        ("e23", "7.2.1", "7.0.4", "same major and minor"),
        ("e25", "9.0.0", "9.3.0", "An older cuDNN (9.0.0)"),
        ("e26", "5.1.3", "4.0.7", "another major"),
    ],
)
def test_cudnn_versions_are_read_in_every_spelling(prefix: str, loaded: str, built: str, words: str) -> None:
    diag = top(prefix)
    assert loaded in diag.summary and built in diag.summary and words in diag.summary


def test_numpy_api_versions_name_the_releases() -> None:
    diag = top("e28")
    assert "NumPy 1.23-1.24 (C-API 0x10)" in diag.summary and "NumPy 1.20-1.21 (C-API 0xe)" in diag.summary
    assert '"numpy>=1.23,<2"' in diag.fix
    size = top("e33")
    assert "88 bytes" in size.summary and "NumPy >= 1.20" in size.summary


def test_cuda_runtime_codes_of_the_old_numbering() -> None:
    assert "cudaErrorInsufficientDriver" in top("e35").summary
    assert "cudaErrorInvalidDeviceFunction" in top("e59").summary
    # An out-of-memory code names no environment cause.
    assert explain_text("RuntimeError: cuda runtime error (2) : out of memory at THCStorage.cu:66") == []


def test_glibcxx_names_the_gcc_and_where_the_old_library_lives() -> None:
    conda = top("e41")
    assert "GCC >= 12.1.0" in conda.summary and '"libstdcxx-ng>=12"' in conda.fix
    system = top("e42")
    assert "GCC >= 11.1.0" in system.summary and "conda" not in system.fix


@pytest.mark.parametrize(
    ("prefix", "words"),
    [
        ("e48", '"jaxlib>=0.3.0"'),
        ("e50", '"jax==0.4.14"'),
        ("e51", '"jax-cuda12-plugin==0.9.0.1" "jax-cuda12-pjrt==0.9.0.1"'),
    ],
)
def test_jaxlib_messages_give_the_matching_install(prefix: str, words: str) -> None:
    assert words in top(prefix).fix


def test_a_minor_cuda_difference_is_only_a_warning_in_newer_torch() -> None:
    text = (
        "UserWarning: The detected CUDA version (12.1) has a minor version mismatch with the version "
        "that was used to compile PyTorch (12.4). Most likely this shouldn't be a problem."
    )
    (diag,) = explain_text(text)
    assert diag.kind == "cuda-toolkit-mismatch" and diag.confidence < top("e53").confidence


def test_the_pickled_path_fix_names_the_right_alias() -> None:
    assert "pathlib.PosixPath = pathlib.WindowsPath" in top("x02").fix
    assert "pathlib.WindowsPath = pathlib.PosixPath" in top("x03").fix


# --------------------------------------------------------------------------- no known cause


@pytest.mark.parametrize("prefix", ["x08", "x09", "x10", "x11"])
def test_no_guess_where_no_base_class_is_involved(prefix: str) -> None:
    """torch's _thnn attribute hook, JAX's missing MLIR lowering, a project's own function."""
    assert explain_text(fixture(prefix).read_text(encoding="utf-8")) == []


def test_a_plain_function_is_not_a_base_class_method() -> None:
    """The minimal shape: a module-level helper raises; only a method call reads as a base class."""
    plain = (
        'Traceback (most recent call last):\n  File "train.py", line 9, in <module>\n'
        '    loss = get_loss(x)\n  File "train.py", line 3, in get_loss\n'
        "    raise NotImplementedError\nNotImplementedError\n"
    )
    assert explain_text(plain) == []
    method = plain.replace("loss = get_loss(x)", "loss = self.get_loss(x)")
    (diag,) = explain_text(method)
    assert diag.kind == "missing-method" and "`get_loss`" in diag.summary


# --------------------------------------------------------------------------- environment


def test_an_extension_pinned_to_another_torch_is_confirmed() -> None:
    env = make_env(("torch", "2.5.1+cu124"), ("torch-scatter", "2.1.2+pt24cu124"))
    pkg = replace(env.packages[1], modules=("torch_scatter",))
    env = replace(env, packages=(env.packages[0], pkg))
    base = top("e06")
    diag = top("e06", env)
    assert diag.confidence > base.confidence
    assert any("built for torch 2.4 but torch 2.5.1+cu124" in e for e in diag.evidence)
    assert "https://data.pyg.org/whl/torch-2.5.0+cu124.html" in diag.fix


def test_the_nccl_torch_requires_is_named() -> None:
    env = make_env(
        ("torch", "2.5.1"),
        ("nvidia-nccl-cu12", "2.18.1"),
        requires={"torch": ("filelock", "nvidia-nccl-cu12==2.21.5; platform_system == 'Linux'")},
    )
    diag = top("e11", env)
    assert '"nvidia-nccl-cu12==2.21.5"' in diag.fix
    assert any("2.18.1 is installed" in e for e in diag.evidence)


@pytest.mark.parametrize(
    ("wheel", "confirmed", "words"),
    [("9.1.0.70", True, "wants cudnn 8"), ("8.9.2.26", False, "on disk")],
)
def test_an_installed_cudnn_wheel_says_which_problem(wheel: str, confirmed: bool, words: str) -> None:
    base = top("e12").confidence
    diag = top("e12", make_env(("nvidia-cudnn-cu12", wheel)))
    assert any(words in e for e in diag.evidence)
    assert (diag.confidence > base) is confirmed


def test_the_system_cudnn_that_is_loaded_is_named() -> None:
    env = replace(make_env(), toolkit=ToolkitInfo(status=ProbeStatus.OK, cudnn_version="8.0.5"))
    diag = top("e27", env)
    assert any("system cuDNN 8.0.5" in e for e in diag.evidence)


@pytest.mark.parametrize(("numpy", "direction"), [("1.21.6", 1), ("1.26.4", -1)])
def test_numpy_api_is_checked_against_the_installed_numpy(numpy: str, direction: int) -> None:
    base = top("e28").confidence
    diag = top("e28", make_env(("numpy", numpy)))
    assert (diag.confidence - base) * direction > 0


@pytest.mark.parametrize(("protobuf", "direction"), [("4.21.1", 1), ("3.19.6", -1)])
def test_protobuf_version_confirms_or_contradicts(protobuf: str, direction: int) -> None:
    base = top("e47").confidence
    assert (top("e47", make_env(("protobuf", protobuf))).confidence - base) * direction > 0


def test_installed_jax_pair_confirms() -> None:
    diag = top("e49", make_env(("jax", "0.4.1"), ("jaxlib", "0.4.12")))
    assert any("jax 0.4.1 with jaxlib 0.4.12" in e for e in diag.evidence)


def test_toolkit_and_torch_build_from_the_probe_confirm() -> None:
    env = make_env(("torch", "2.5.1+cu124"))
    build = BuildInfo(framework="torch", distribution="torch", version="2.5.1+cu124", cuda="12.4")
    env = replace(
        env,
        builds=(build,),
        toolkit=ToolkitInfo(status=ProbeStatus.OK, nvcc_version="11.8.89", cuda_home="/usr/local/cuda-11.8"),
    )
    diag = top("e52", env)
    assert any("nvcc 11.8.89 (/usr/local/cuda-11.8)" in e for e in diag.evidence)


def test_old_driver_for_the_torch_build_confirms_error_35() -> None:
    env = make_env(("torch", "1.0.1"), driver="390.87", cuda_driver="9.1")
    build = BuildInfo(framework="torch", distribution="torch", version="1.0.1", cuda="10.0")
    diag = top("e35", replace(env, builds=(build,)))
    assert any("built for CUDA 10.0; the driver supports CUDA 9.1" in e for e in diag.evidence)


def test_a_gpu_below_the_minimum_is_found_here() -> None:
    gpu = Gpu(index=0, name="NVIDIA GeForce GT 720", compute_capability="3.5")
    env = make_env(driver="470.256.02", cuda_driver="11.4", gpus=(gpu,))
    assert any("compute capability 3.5 is installed" in e for e in top("e56", env).evidence)


def test_the_platform_confirms_a_pickled_path() -> None:
    linux = replace(make_env(), platform=PlatformInfo(system="Linux", machine="x86_64"))
    base = top("x03").confidence
    assert top("x03", linux).confidence > base


def test_no_kernel_image_on_a_gpu_below_the_builds_lowest_architecture() -> None:
    gpu = Gpu(index=0, name="Tesla K80", compute_capability="3.7")
    env = make_env(("torch", "2.5.1+cu124"), driver="470.256.02", cuda_driver="11.4", gpus=(gpu,))
    build = BuildInfo(
        framework="torch",
        distribution="torch",
        version="2.5.1+cu124",
        cuda="12.4",
        archs=("sm_50", "sm_60", "sm_70", "sm_80", "sm_90a"),
        is_cuda_build=True,
    )
    diag = top("t20", replace(env, builds=(build,)))
    assert diag.kind == "gpu-arch-unsupported"
    assert "older than the lowest architecture this torch build has (sm_50)" in diag.summary
    assert "sm_37" in diag.fix
