"""The Keras checks: exact findings (title, detail, fix, severity) for every KER code."""

from __future__ import annotations

import pytest

from compataudit.checks import CheckContext, run_checks
from compataudit.checks import keras as keras_checks
from compataudit.compat.matrices import load_matrices
from compataudit.model import Finding, Severity
from tests.assertions import only
from tests.envs import environment

LEGACY_SOURCE = "https://github.com/tensorflow/tensorflow/blob/v2.21.0/tensorflow/python/util/lazy_loader.py"


def context(
    *pins: tuple[str, str], python: str = "3.11.9", env_vars: tuple[tuple[str, str], ...] = ()
) -> CheckContext:
    env = environment(*pins, python=python, pinned=True, env_vars=env_vars)
    return CheckContext(env=env, matrices=load_matrices())


def run(
    *pins: tuple[str, str], python: str = "3.11.9", env_vars: tuple[tuple[str, str], ...] = ()
) -> list[Finding]:
    ctx = context(*pins, python=python, env_vars=env_vars)
    return [f for check in keras_checks.CHECKS for f in check(ctx)]


def test_keras3_beside_tf215() -> None:
    f = only(run(("tensorflow", "2.15.0.post1"), ("keras", "3.0.3")))
    assert (f.code, f.severity, f.components, f.area) == (
        "KER001",
        Severity.ERROR,
        ("tensorflow", "keras"),
        "keras",
    )
    assert f.title == "Keras 3.0.3 is installed beside TensorFlow 2.15"
    assert f.detail == (
        "tensorflow 2.15.0.post1 requires keras <2.16,>=2.15.0 (Keras 2); keras "
        "3.0.3 is Keras 3, so tf.keras breaks or silently becomes Keras 3."
    )
    assert f.fix == 'pip install "tensorflow==2.15.0.post1" "keras==2.15.0"'
    assert "https://pypi.org/project/keras/2.15.0/" in f.sources


def test_keras2_beside_tf216_points_at_tf_keras() -> None:
    f = only(run(("tensorflow-cpu", "2.16.1"), ("keras", "2.15.0"), python="3.9.18"))
    assert (f.code, f.components) == ("KER002", ("tensorflow-cpu", "keras"))
    assert f.title == "Keras 2.15.0 is installed beside TensorFlow 2.16"
    assert "For Keras 2 code install tf-keras~=2.16.0 and set TF_USE_LEGACY_KERAS=1." in f.detail
    assert f.fix == 'pip install "tensorflow-cpu==2.16.1" "keras>=3.0.0,<3.11.0"'


def test_keras2_minor_mismatch() -> None:
    f = only(run(("tensorflow", "2.6.0"), ("keras", "2.7.0"), python="3.9.7"))
    assert (f.code, f.title) == ("KER004", "keras 2.7.0 does not match TensorFlow 2.6")
    assert f.detail == (
        "tensorflow 2.6.0 needs keras 2.6.x (declared: keras ~=2.6); keras 2.7.0 belongs to TensorFlow 2.7."
    )
    assert f.fix == 'pip install "tensorflow==2.6.0" "keras==2.6.0"'


@pytest.mark.parametrize(
    ("pins", "fix", "tail"),
    [
        (
            (("tensorflow", "2.18.0"), ("tf-keras", "2.17.0")),
            'pip install "tf-keras~=2.18.0"',
            "(it requires tensorflow >=2.17,<2.18); tensorflow 2.18.0 needs tf-keras 2.18.x.",
        ),
        (
            (("tensorflow", "2.13.0"), ("tf-keras", "2.15.1")),
            "pip uninstall -y tf-keras",
            "needs tf-keras 2.13.x, and no such tf-keras exists for this Python.",
        ),
    ],
)
def test_tf_keras_mismatch(pins: tuple[tuple[str, str], ...], fix: str, tail: str) -> None:
    f = only(run(*pins))
    assert (f.code, f.components, f.fix) == ("KER003", ("tensorflow", "tf-keras"), fix)
    assert f.detail.endswith(tail)


@pytest.mark.parametrize(
    ("value", "tf_keras", "severity", "title", "fix"),
    [
        (
            "yes",
            True,
            Severity.WARNING,
            'TF_USE_LEGACY_KERAS="yes" is not a value TensorFlow recognises',
            "export TF_USE_LEGACY_KERAS=1",
        ),
        (
            "TRUE",
            False,
            Severity.WARNING,
            'TF_USE_LEGACY_KERAS="TRUE" is not a value TensorFlow recognises',
            'pip install "tf-keras~=2.21.0"; export TF_USE_LEGACY_KERAS=1',
        ),
        (
            "1",
            False,
            Severity.ERROR,
            "TF_USE_LEGACY_KERAS is set but tf-keras is not installed",
            'pip install "tf-keras~=2.21.0"',
        ),
        (
            "true",
            False,
            Severity.ERROR,
            "TF_USE_LEGACY_KERAS is set but tf-keras is not installed",
            'pip install "tf-keras~=2.21.0"',
        ),
    ],
)
def test_legacy_keras_setting(value: str, tf_keras: bool, severity: Severity, title: str, fix: str) -> None:
    pins = [("tensorflow", "2.21.0"), ("keras", "3.12.0")]
    if tf_keras:
        pins.append(("tf-keras", "2.21.0"))
    f = only(run(*pins, env_vars=(("TF_USE_LEGACY_KERAS", value),)))
    assert (f.code, f.severity, f.title, f.fix) == ("KER005", severity, title, fix)
    assert LEGACY_SOURCE in f.sources


def test_recognised_legacy_value_without_tf_keras_explains_the_import_error() -> None:
    f = only(run(("tensorflow", "2.21.0"), ("keras", "3.12.0"), env_vars=(("TF_USE_LEGACY_KERAS", "1"),)))
    assert f.detail.endswith("tf.keras raises ImportError: Keras cannot be imported.")


@pytest.mark.parametrize(
    ("pins", "env_vars", "title", "severity", "fix"),
    [
        (
            (("keras", "3.15.1"), ("tensorflow-cpu", "2.21.0")),
            (("KERAS_BACKEND", "jax"),),
            "Keras backend jax is not installed",
            Severity.ERROR,
            "export KERAS_BACKEND=tensorflow",
        ),
        (
            (("keras", "3.15.1"),),
            (),
            "Keras backend tensorflow is not installed",
            Severity.ERROR,
            'pip install "tensorflow>=2.16.1"',
        ),
        (
            (("keras", "3.15.1"), ("torch", "2.13.0+cpu")),
            (),
            "Keras backend tensorflow is not installed",
            Severity.WARNING,
            "export KERAS_BACKEND=torch",
        ),
        (
            (("keras", "3.15.1"), ("jax", "0.4.13")),
            (("KERAS_BACKEND", "jax"),),
            "Keras backend jax 0.4.13 is older than Keras 3 supports",
            Severity.ERROR,
            'pip install "jax>=0.4.20"',
        ),
        (
            (("keras", "3.15.1"), ("numpy", "2.4.6")),
            (("KERAS_BACKEND", "mxnet"),),
            'KERAS_BACKEND="mxnet" is not a Keras backend',
            Severity.ERROR,
            "export KERAS_BACKEND=tensorflow",
        ),
    ],
)
def test_keras_backend(
    pins: tuple[tuple[str, str], ...],
    env_vars: tuple[tuple[str, str], ...],
    title: str,
    severity: Severity,
    fix: str,
) -> None:
    f = only(run(*pins, env_vars=env_vars))
    assert (f.code, f.title, f.severity, f.fix) == ("KER006", title, severity, fix)
    assert "https://github.com/keras-team/keras#backend-compatibility-table" in f.sources


def test_keras_python_floor() -> None:
    f = only(run(("tensorflow", "2.21.0"), ("keras", "3.15.1"), python="3.10.14"))
    assert (f.code, f.components) == ("PY001", ("keras", "python"))
    assert f.title == "Keras 3.15 does not support Python 3.10"
    assert f.fix == 'pip install "keras<3.13.0"'
    assert f.sources == ("https://pypi.org/project/keras/3.15.1/",)


def test_keras_alone_with_jax_backend_is_clean() -> None:
    assert run(("keras", "3.15.1"), ("jax", "0.10.2"), env_vars=(("KERAS_BACKEND", "jax"),)) == []


def test_run_checks_picks_up_both_areas() -> None:
    codes = {
        f.code for f in run_checks(context(("tensorflow", "2.15.0"), ("keras", "3.0.0"), ("numpy", "2.0.0")))
    }
    assert {"KER001", "NPY001"} <= codes


def test_ker007_keras3_too_old_for_pinned_tensorflow() -> None:
    """TF 2.21.0 METADATA declares keras>=3.12.0 (tensorflow.toml [[release]] 2.21.0)."""
    from compataudit.checks import CheckContext
    from compataudit.checks.keras import check_keras3_minimum
    from compataudit.compat.matrices import load_matrices
    from compataudit.options import EnvOptions
    from compataudit.sources import build_environment

    def codes(*pins: str) -> list[tuple[str, tuple[str, ...]]]:
        env = build_environment(EnvOptions(python="3.11", pins=pins, probe=False))
        return [(f.code, f.components) for f in check_keras3_minimum(CheckContext(env, load_matrices()))]

    assert codes("tensorflow==2.21.0", "keras==3.5.0") == [("KER007", ("tensorflow", "keras"))]
    assert codes("tensorflow==2.21.0", "keras==3.12.0") == []
    assert codes("tensorflow==2.15.0", "keras==2.15.0") == []
