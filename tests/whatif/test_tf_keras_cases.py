"""What-if cases for the TensorFlow and Keras checks, each traced to the source fact it rests on.

Every case builds an Environment as ``--pin`` / ``--python`` / environment variables would and
asserts the exact set of (code, severity, components) the two check areas produce.
Sources (as cited in matrices/tensorflow.toml and matrices/keras.toml):
  TBC   tensorflow.org/install/source "Tested build configurations" (Python range per release)
  META  PyPI metadata of the tensorflow X.Y.Z wheel (Requires-Python, numpy/protobuf/ml-dtypes/keras)
  R218  TF 2.18.0 release notes: first release compiled with NumPy 2.0 (older ones are numpy-1 builds)
  PB    tensorflow 2.6.5 / 2.7.3 / 2.8.2 / 2.9.1 metadata: protobuf <3.20 added to the old ranges
  K3    PyPI metadata of keras 3.x (Requires-Python)
  KB    keras README "Backend Compatibility Table" (TF 2.16.1, JAX 0.4.20, torch 2.1.0)
  TFK   PyPI metadata of tf-keras 2.N (requires tensorflow 2.N)
  LL    tensorflow/python/util/lazy_loader.py: TF_USE_LEGACY_KERAS in ("true", "True", "1")
"""

from __future__ import annotations

import pytest

from compataudit.checks import CheckContext
from compataudit.checks import keras as keras_checks
from compataudit.checks import tensorflow as tf_checks
from compataudit.compat.matrices import load_matrices
from compataudit.model import Environment, Package, PlatformInfo, PythonInfo

E, W, INFO = "error", "warning", "info"
TP, TN, TPB = ("tensorflow", "python"), ("tensorflow", "numpy"), ("tensorflow", "protobuf")
TML, TK, TTK = ("tensorflow", "ml-dtypes"), ("tensorflow", "keras"), ("tensorflow", "tf-keras")

Pins = tuple[tuple[str, str], ...]
Vars = tuple[tuple[str, str], ...]
Found = tuple[str, str, tuple[str, ...]]

REAL_STACK: Pins = (
    ("tensorflow-cpu", "2.21.0"),
    ("keras", "3.15.1"),
    ("numpy", "2.4.6"),
    ("protobuf", "7.36.2"),
    ("ml-dtypes", "0.6.0"),
)


def case(
    case_id: str, pins: Pins, python: str = "3.11.9", *expected: Found, env: Vars = (), system: str = "Linux"
) -> object:
    return pytest.param(pins, python, env, system, frozenset(expected), id=case_id)


CASES = [
    # ---------------------------------------------------------------- the stack installed here
    case("META-2.21-real-stack-clean", REAL_STACK, "3.11.7"),
    # ---------------------------------------------------------------- PY001 (TBC, META)
    case("TBC-2.15-py312", (("tensorflow", "2.15.0"),), "3.12.1", ("PY001", E, TP)),
    case("TBC-2.15-py311", (("tensorflow", "2.15.0"),), "3.11.9"),
    case("TBC+META-2.21-py39-dropped", (("tensorflow", "2.21.0"),), "3.9.18", ("PY001", E, TP)),
    case("TBC-2.20-py313", (("tensorflow", "2.20.0"),), "3.13.1"),
    case("TBC-2.19-py313", (("tensorflow", "2.19.0"),), "3.13.1", ("PY001", E, TP)),
    case("TBC-2.4-py39", (("tensorflow", "2.4.0"),), "3.9.1", ("PY001", E, TP)),
    case("TBC-2.4-py38", (("tensorflow", "2.4.4"),), "3.8.10"),
    case("TBC-2.13-py38", (("tensorflow", "2.13.1"),), "3.8.18"),
    case("TBC+META-2.14-py38", (("tensorflow", "2.14.0"),), "3.8.18", ("PY001", E, TP)),
    case("TBC-2.16-py312", (("tensorflow", "2.16.1"),), "3.12.4"),
    case("TBC-2.21-py314", (("tensorflow", "2.21.0"),), "3.14.0", ("PY001", E, TP)),
    case(
        "TBC-cpu-variant-components",
        (("tensorflow-cpu", "2.15.1"),),
        "3.12.0",
        ("PY001", E, ("tensorflow-cpu", "python")),
    ),
    # ---------------------------------------------------------------- NPY001 (META, R218)
    case("META-2.15-numpy2", (("tensorflow", "2.15.0"), ("numpy", "2.0.0")), "3.11.9", ("NPY001", E, TN)),
    case("META-2.15-numpy1.26", (("tensorflow", "2.15.0"), ("numpy", "1.26.4"))),
    case(
        "R218-2.14-numpy2-no-declared-cap",
        (("tensorflow", "2.14.0"), ("numpy", "2.1.0")),
        "3.11.9",
        ("NPY001", E, TN),
    ),
    case("META-2.18-numpy2.0", (("tensorflow", "2.18.0"), ("numpy", "2.0.2"))),
    case("META-2.18-numpy2.1", (("tensorflow", "2.18.0"), ("numpy", "2.1.3")), "3.11.9", ("NPY001", E, TN)),
    case("META-2.19-numpy2.1", (("tensorflow", "2.19.0"), ("numpy", "2.1.3"))),
    case("META-2.19-numpy2.2", (("tensorflow", "2.19.0"), ("numpy", "2.2.0")), "3.11.9", ("NPY001", E, TN)),
    case("META-2.20-numpy2.4", (("tensorflow", "2.20.0"), ("numpy", "2.4.6"))),
    case("META-2.12-numpy1.24", (("tensorflow", "2.12.0"), ("numpy", "1.24.0")), "3.11.9", ("NPY001", E, TN)),
    case("META-2.13-numpy1.24.3", (("tensorflow", "2.13.0"), ("numpy", "1.24.3"))),
    case(
        "META-2.13-numpy1.24.4", (("tensorflow", "2.13.0"), ("numpy", "1.24.4")), "3.11.9", ("NPY001", E, TN)
    ),
    case("META-2.4-numpy1.20", (("tensorflow", "2.4.0"), ("numpy", "1.20.0")), "3.8.10", ("NPY001", E, TN)),
    case("META-2.21-numpy1.25", (("tensorflow", "2.21.0"), ("numpy", "1.25.2")), "3.11.9", ("NPY001", E, TN)),
    case(
        "R218-cpu-2.17-numpy2",
        (("tensorflow-cpu", "2.17.1"), ("numpy", "2.0.0")),
        "3.11.9",
        ("NPY001", E, ("tensorflow-cpu", "numpy")),
    ),
    # ---------------------------------------------------------------- DEP001 protobuf (META, PB)
    case(
        "META-2.21-protobuf5",
        (("tensorflow", "2.21.0"), ("protobuf", "5.29.3")),
        "3.11.9",
        ("DEP001", E, TPB),
    ),
    case(
        "META-2.21-protobuf8", (("tensorflow", "2.21.0"), ("protobuf", "8.0.0")), "3.11.9", ("DEP001", E, TPB)
    ),
    case("META-2.21-protobuf6.31.1", (("tensorflow", "2.21.0"), ("protobuf", "6.31.1"))),
    case(
        "META-2.15-protobuf4.21.5-excluded",
        (("tensorflow", "2.15.1"), ("protobuf", "4.21.5")),
        "3.11.9",
        ("DEP001", E, TPB),
    ),
    case(
        "META-2.15-protobuf5",
        (("tensorflow", "2.15.1"), ("protobuf", "5.26.1")),
        "3.11.9",
        ("DEP001", E, TPB),
    ),
    case("META-2.18-protobuf5", (("tensorflow", "2.18.0"), ("protobuf", "5.28.3"))),
    case(
        "PB-2.9.0-protobuf4", (("tensorflow", "2.9.0"), ("protobuf", "4.21.1")), "3.10.4", ("DEP001", E, TPB)
    ),
    case("META-2.10-protobuf3.19", (("tensorflow", "2.10.0"), ("protobuf", "3.19.6")), "3.10.4"),
    case(
        "META-2.20-protobuf5.27",
        (("tensorflow", "2.20.0"), ("protobuf", "5.27.0")),
        "3.11.9",
        ("DEP001", E, TPB),
    ),
    # ---------------------------------------------------------------- DEP002 ml-dtypes (META)
    case(
        "META-2.18.0-ml-dtypes0.5",
        (("tensorflow", "2.18.0"), ("ml-dtypes", "0.5.1")),
        "3.11.9",
        ("DEP002", E, TML),
    ),
    case("META-2.18.1-ml-dtypes0.5", (("tensorflow", "2.18.1"), ("ml-dtypes", "0.5.1"))),
    case(
        "META-2.14-ml-dtypes0.3",
        (("tensorflow", "2.14.0"), ("ml-dtypes", "0.3.1")),
        "3.11.9",
        ("DEP002", E, TML),
    ),
    case("META-2.15.1-ml-dtypes0.3.1", (("tensorflow", "2.15.1"), ("ml-dtypes", "0.3.1"))),
    case(
        "META-2.15.0-ml-dtypes0.3.1",
        (("tensorflow", "2.15.0"), ("ml-dtypes", "0.3.1")),
        "3.11.9",
        ("DEP002", E, TML),
    ),
    case(
        "META-2.21-ml-dtypes1.0",
        (("tensorflow", "2.21.0"), ("ml-dtypes", "1.0.0")),
        "3.11.9",
        ("DEP002", E, TML),
    ),
    # ---------------------------------------------------------------- MAT001 (no row: never an error)
    case(
        "MAT-nightly-2.22",
        (("tf-nightly", "2.22.0.dev20260301"), ("numpy", "2.4.6")),
        "3.11.9",
        ("MAT001", INFO, ("tf-nightly",)),
    ),
    case("MAT-2.3-before-data", (("tensorflow", "2.3.4"),), "3.8.10", ("MAT001", INFO, ("tensorflow",))),
    case(
        "MAT-nightly-keras2-not-judged",
        (("tf-nightly", "2.22.0.dev20260301"), ("keras", "2.15.0")),
        "3.11.9",
        ("MAT001", INFO, ("tf-nightly",)),
    ),
    # ---------------------------------------------------------------- KER001/002/004 (META)
    case("META-2.15-keras3", (("tensorflow", "2.15.0"), ("keras", "3.0.3")), "3.11.9", ("KER001", E, TK)),
    case("META-2.15-keras2.15", (("tensorflow", "2.15.0.post1"), ("keras", "2.15.0"))),
    case("META-2.16-keras2.15", (("tensorflow", "2.16.1"), ("keras", "2.15.0")), "3.11.9", ("KER002", E, TK)),
    case("META-2.16-keras3.0", (("tensorflow", "2.16.1"), ("keras", "3.0.0"))),
    case(
        "META-2.21-keras2",
        (("tensorflow-cpu", "2.21.0"), ("keras", "2.15.0")),
        "3.11.9",
        ("KER002", E, ("tensorflow-cpu", "keras")),
    ),
    case(
        "META-2.6-keras2.7-loose-pin",
        (("tensorflow", "2.6.0"), ("keras", "2.7.0")),
        "3.9.7",
        ("KER004", E, TK),
    ),
    case("META-2.13-keras2.13.1", (("tensorflow", "2.13.0"), ("keras", "2.13.1"))),
    case("META-2.14-keras2.13", (("tensorflow", "2.14.0"), ("keras", "2.13.1")), "3.11.9", ("KER004", E, TK)),
    case("META-2.12-keras2.12", (("tensorflow", "2.12.0"), ("keras", "2.12.0"))),
    case("META-2.5-keras-not-judged", (("tensorflow", "2.5.0"), ("keras", "2.4.3")), "3.8.10"),
    # ---------------------------------------------------------------- KER003 tf-keras (TFK)
    case(
        "TFK-2.18-tf-keras2.17",
        (("tensorflow", "2.18.0"), ("tf-keras", "2.17.0")),
        "3.11.9",
        ("KER003", E, TTK),
    ),
    case(
        "TFK-2.13-tf-keras2.15",
        (("tensorflow", "2.13.0"), ("tf-keras", "2.15.1")),
        "3.11.9",
        ("KER003", E, TTK),
    ),
    case("TFK-2.15-tf-keras2.15.0", (("tensorflow", "2.15.1"), ("tf-keras", "2.15.0"))),
    # ---------------------------------------------------------------- KER005 (LL)
    case(
        "LL-2.18-legacy-1-with-tf-keras",
        (("tensorflow", "2.18.0"), ("keras", "3.5.0"), ("tf-keras", "2.18.0")),
        env=(("TF_USE_LEGACY_KERAS", "1"),),
    ),
    case(
        "LL-2.21-legacy-True-with-tf-keras",
        (("tensorflow", "2.21.0"), ("keras", "3.12.0"), ("tf-keras", "2.21.0")),
        env=(("TF_USE_LEGACY_KERAS", "True"),),
    ),
    case(
        "LL-2.21-legacy-yes-ignored",
        (("tensorflow", "2.21.0"), ("keras", "3.12.0"), ("tf-keras", "2.21.0")),
        "3.11.9",
        ("KER005", W, TTK),
        env=(("TF_USE_LEGACY_KERAS", "yes"),),
    ),
    case(
        "LL-2.21-legacy-TRUE-ignored",
        (("tensorflow", "2.21.0"), ("keras", "3.12.0")),
        "3.11.9",
        ("KER005", W, TTK),
        env=(("TF_USE_LEGACY_KERAS", "TRUE"),),
    ),
    case(
        "LL-2.21-legacy-1-no-tf-keras",
        (("tensorflow", "2.21.0"), ("keras", "3.12.0")),
        "3.11.9",
        ("KER005", E, TTK),
        env=(("TF_USE_LEGACY_KERAS", "1"),),
    ),
    case(
        "LL-2.15-legacy-1-no-tf-keras",
        (("tensorflow", "2.15.1"), ("keras", "2.15.0")),
        "3.11.9",
        ("KER005", W, TTK),
        env=(("TF_USE_LEGACY_KERAS", "1"),),
    ),
    case(
        "LL-2.14-does-not-read-it",
        (("tensorflow", "2.14.0"), ("keras", "2.14.0")),
        "3.11.9",
        env=(("TF_USE_LEGACY_KERAS", "yes"),),
    ),
    case(
        "LL-empty-value-is-unset",
        (("tensorflow", "2.21.0"), ("keras", "3.12.0")),
        env=(("TF_USE_LEGACY_KERAS", ""),),
    ),
    # ---------------------------------------------------------------- KER006 (KB)
    case(
        "KB-jax-backend-missing",
        REAL_STACK,
        "3.11.9",
        ("KER006", E, ("keras", "jax")),
        env=(("KERAS_BACKEND", "jax"),),
    ),
    case("KB-jax-0.4.20-minimum", (("keras", "3.15.1"), ("jax", "0.4.20")), env=(("KERAS_BACKEND", "jax"),)),
    case(
        "KB-jax-0.4.13-too-old",
        (("keras", "3.15.1"), ("jax", "0.4.13")),
        "3.11.9",
        ("KER006", E, ("keras", "jax")),
        env=(("KERAS_BACKEND", "jax"),),
    ),
    case(
        "KB-torch-2.0.1-too-old",
        (("keras", "3.15.1"), ("torch", "2.0.1")),
        "3.11.9",
        ("KER006", E, ("keras", "torch")),
        env=(("KERAS_BACKEND", "torch"),),
    ),
    case(
        "KB-torch-2.1.0-minimum",
        (("keras", "3.15.1"), ("torch", "2.1.0+cpu")),
        env=(("KERAS_BACKEND", "torch"),),
    ),
    case(
        "KB-default-tensorflow-missing",
        (("keras", "3.15.1"),),
        "3.11.9",
        ("KER006", E, ("keras", "tensorflow")),
    ),
    case(
        "KB-default-tensorflow-missing-jax-present",
        (("keras", "3.15.1"), ("jax", "0.10.2")),
        "3.11.9",
        ("KER006", W, ("keras", "tensorflow")),
    ),
    case(
        "KB-unknown-backend-name",
        REAL_STACK,
        "3.11.9",
        ("KER006", E, ("keras",)),
        env=(("KERAS_BACKEND", "mxnet"),),
    ),
    case("KB-tf-2.16.1-minimum", (("tensorflow-cpu", "2.16.1"), ("keras", "3.0.0"))),
    case(
        "KB+META-tf2.15-keras3-only-KER001",
        (("tensorflow-cpu", "2.15.0"), ("keras", "3.0.0")),
        "3.11.9",
        ("KER001", E, ("tensorflow-cpu", "keras")),
        env=(("KERAS_BACKEND", "tensorflow"),),
    ),
    # ---------------------------------------------------------------- PY001 for Keras 3 (K3)
    case(
        "K3-3.15-py310",
        (("tensorflow", "2.21.0"), ("keras", "3.15.1")),
        "3.10.14",
        ("PY001", E, ("keras", "python")),
    ),
    case("K3-3.12-py310", (("tensorflow", "2.21.0"), ("keras", "3.12.0")), "3.10.14"),
    case("K3-3.10-py39", (("tensorflow", "2.20.0"), ("keras", "3.10.0")), "3.9.18"),
    # ---------------------------------------------------------------- combinations / platforms
    case(
        "META+R218-2.15.1-keras3-numpy2",
        (("tensorflow", "2.15.1"), ("keras", "3.1.0"), ("numpy", "2.0.1")),
        "3.11.9",
        ("KER001", E, TK),
        ("NPY001", E, TN),
    ),
    case(
        "META-windows-intel-pulled-in",
        (("tensorflow", "2.15.0"), ("tensorflow-intel", "2.15.0"), ("keras", "2.15.0")),
        "3.11.9",
        system="Windows",
    ),
    case(
        "META-2.16-py312-numpy1.26",
        (("tensorflow", "2.16.1"), ("numpy", "1.26.4"), ("keras", "3.3.3")),
        "3.12.4",
    ),
]


@pytest.mark.parametrize(("pins", "python", "env", "system", "expected"), CASES)
def test_what_if_case(pins: Pins, python: str, env: Vars, system: str, expected: frozenset[Found]) -> None:
    environment = Environment(
        python=PythonInfo(version=python),
        platform=PlatformInfo(system=system, machine="x86_64" if system != "Windows" else "AMD64"),
        packages=tuple(Package(name, version, pinned=True) for name, version in pins),
        env_vars=env,
        origin="what-if",
    )
    ctx = CheckContext(env=environment, matrices=load_matrices())
    found = {
        (f.code, f.severity.value, f.components)
        for module in (tf_checks, keras_checks)
        for check in module.CHECKS
        for f in check(ctx)
    }
    assert found == expected


def test_enough_cases() -> None:
    assert len(CASES) >= 60
