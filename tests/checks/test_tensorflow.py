"""The TensorFlow checks: exact findings (title, detail, fix, sources) and robustness."""

from __future__ import annotations

import importlib.metadata
import platform
import sys

import pytest

from compataudit.checks import CheckContext
from compataudit.checks import keras as keras_checks
from compataudit.checks import tensorflow as tf_checks
from compataudit.compat.matrices import load_matrices
from compataudit.model import Environment, Finding, Package, PlatformInfo, PythonInfo, Severity
from tests.assertions import only
from tests.checks.check_helpers import findings_of
from tests.envs import environment


def run(
    *pins: tuple[str, str], python: str = "3.11.9", env_vars: tuple[tuple[str, str], ...] = ()
) -> list[Finding]:
    env = environment(*pins, python=python, pinned=True, env_vars=env_vars)
    return findings_of(tf_checks, env, load_matrices())


def test_this_machines_stack_has_no_error() -> None:
    """The real venv (tensorflow-cpu 2.21.0, keras 3.15.1, numpy 2.4.6, ...) must pass."""
    names = ("tensorflow-cpu", "keras", "numpy", "protobuf", "ml-dtypes", "jax", "torch", "tf-keras")
    pins = []
    for name in names:
        try:
            pins.append(Package(name, importlib.metadata.version(name)))
        except importlib.metadata.PackageNotFoundError:
            continue
    if not any(p.name == "tensorflow-cpu" for p in pins):
        pytest.skip("tensorflow-cpu is not installed here")
    env = Environment(
        python=PythonInfo(version=platform.python_version()),
        platform=PlatformInfo(system=platform.system(), machine=platform.machine()),
        packages=tuple(pins),
    )
    ctx = CheckContext(env=env, matrices=load_matrices())
    findings = [f for m in (tf_checks, keras_checks) for c in m.CHECKS for f in c(ctx)]
    assert [f for f in findings if f.severity is Severity.ERROR] == []
    assert sys.version_info >= (3, 10)


def test_python_unsupported_finding() -> None:
    f = only(run(("tensorflow", "2.15.0"), python="3.12.1"))
    assert (f.code, f.severity, f.components) == ("PY001", Severity.ERROR, ("tensorflow", "python"))
    assert f.title == "TensorFlow 2.15 does not support Python 3.12"
    assert f.detail.startswith(
        "tensorflow 2.15.0 is built and tested for Python 3.9-3.11 (Requires-Python >=3.9); "
        "this environment has Python 3.12.1."
    )
    assert f.fix == 'pip install "tensorflow==2.21.0" "keras>=3.12.0"'
    assert "https://pypi.org/project/tensorflow/2.15.0/" in f.sources
    assert "https://www.tensorflow.org/install/source#gpu" in f.sources


def test_python_too_old_suggests_the_newest_release_that_supports_it() -> None:
    f = only(run(("tensorflow-cpu", "2.21.0"), python="3.8.18"))
    assert f.fix == 'pip install "tensorflow-cpu==2.13.1" "keras==2.13.1"'


def test_python_without_any_release() -> None:
    f = only(run(("tensorflow", "2.21.0"), python="3.14.0"))
    assert f.fix == "Use Python 3.10-3.13 for TensorFlow 2.21"


def test_numpy2_with_tf215() -> None:
    f = only(run(("tensorflow", "2.15.0"), ("numpy", "2.1.0")))
    assert (f.code, f.components, f.area) == ("NPY001", ("tensorflow", "numpy"), "numpy")
    assert f.title == "numpy 2.1.0 does not work with TensorFlow 2.15"
    assert "requires numpy <2.0.0,>=1.23.5" in f.detail
    assert "compiled against NumPy 1.x" in f.detail
    assert f.fix == 'pip install "numpy<2"'
    assert "https://github.com/tensorflow/tensorflow/releases/tag/v2.18.0" in f.sources


@pytest.mark.parametrize(
    ("pins", "fix"),
    [
        ((("tensorflow", "2.14.0"), ("numpy", "2.0.0")), 'pip install "numpy<2"'),
        ((("tensorflow", "2.18.0"), ("numpy", "2.1.0")), 'pip install "numpy<2.1"'),
        ((("tensorflow", "2.12.0"), ("numpy", "1.26.4")), 'pip install "numpy<1.24"'),
        ((("tensorflow", "2.21.0"), ("numpy", "1.24.0")), 'pip install "numpy>=1.26.0"'),
        ((("tensorflow", "2.4.0"), ("numpy", "1.21.0")), 'pip install "numpy~=1.19.2"'),
    ],
)
def test_numpy_fix_names_the_broken_bound(pins: tuple[tuple[str, str], ...], fix: str) -> None:
    assert only(run(*pins, python="3.8.10" if pins[0][1] == "2.4.0" else "3.11.9")).fix == fix


def test_protobuf_finding() -> None:
    f = only(run(("tensorflow", "2.21.0"), ("protobuf", "5.29.3")))
    assert (f.code, f.severity, f.components) == ("DEP001", Severity.ERROR, ("tensorflow", "protobuf"))
    assert f.title == "protobuf 5.29.3 is outside TensorFlow 2.21's range"
    assert f.detail == ("tensorflow 2.21.0 requires protobuf <8.0.0,>=6.31.1; installed protobuf 5.29.3.")
    assert f.fix == 'pip install "protobuf<8.0.0,>=6.31.1"'


def test_protobuf_upper_bound_fix() -> None:
    assert (
        only(run(("tensorflow", "2.9.0"), ("protobuf", "4.21.1"), python="3.10.4")).fix
        == 'pip install "protobuf<3.20"'
    )


def test_ml_dtypes_finding() -> None:
    f = only(run(("tensorflow", "2.18.0"), ("ml-dtypes", "0.5.1")))
    assert (f.code, f.components) == ("DEP002", ("tensorflow", "ml-dtypes"))
    assert f.fix == 'pip install "ml-dtypes<0.5"'


def test_nightly_is_info_not_error() -> None:
    f = only(run(("tf-nightly", "2.22.0.dev20260301"), ("numpy", "2.4.6"), ("protobuf", "3.0.0")))
    assert (f.code, f.severity, f.components) == ("MAT001", Severity.INFO, ("tf-nightly",))
    assert f.title == "TensorFlow 2.22.0.dev20260301 is not in compataudit's compatibility data"
    assert "TensorFlow 2.4-2.21" in f.detail


@pytest.mark.parametrize(
    "pins",
    [
        (("tensorflow", "not-a-version"), ("numpy", "2.0")),
        (("tensorflow", ""),),
        (("tensorflow", "2.15.0"), ("numpy", "garbage"), ("protobuf", "???"), ("ml-dtypes", "")),
    ],
)
def test_bad_versions_never_raise(pins: tuple[tuple[str, str], ...]) -> None:
    assert run(*pins) == []


@pytest.mark.parametrize(("python", "codes"), [("", []), ("three", []), ("3", ["PY001"])])
def test_bad_python_never_raises(python: str, codes: list[str]) -> None:
    assert [f.code for f in run(("tensorflow", "2.15.0"), python=python)] == codes
