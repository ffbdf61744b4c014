from __future__ import annotations

import pytest

from compataudit.checks import CheckContext, run_checks
from compataudit.checks.policy import check_requirements
from compataudit.model import Environment, Severity
from tests.checks.check_helpers import MATRICES
from tests.envs import environment, pins_of


def _env(python: str = "3.11.7", **packages: str) -> Environment:
    return environment(*pins_of(**packages), python=python)


def _titles(env: Environment, require: object) -> list[str]:
    ctx = CheckContext(env=env, matrices=MATRICES, options={"require": require})
    return [f.title for f in check_requirements(ctx)]


@pytest.mark.parametrize(
    ("env", "require", "expected"),
    [
        (_env(torch="2.3.1"), ["torch>=2.4"], ["torch 2.3.1 violates the policy pin torch>=2.4"]),
        (_env(torch="2.5.1+cu124"), ["torch>=2.4"], []),  # local label ignored
        (_env(torch="2.5.1+cu124"), ["torch==2.5.1+cu124"], []),  # ... or kept, when the pin has one
        (
            _env(torch="2.5.1+cpu"),
            ["torch==2.5.1+cu124"],
            ["torch 2.5.1+cpu violates the policy pin torch==2.5.1+cu124"],
        ),
        (
            _env(torch="2.5.1+cu124"),
            ["torch>=2.4,<2.5"],
            ["torch 2.5.1+cu124 violates the policy pin torch>=2.4,<2.5"],
        ),
        (_env(torch="2.6.0.dev20241001+cpu"), ["torch>=2.5"], []),  # nightlies count
        (_env(python="3.9.18"), ["python>=3.10"], ["python 3.9.18 violates the policy pin python>=3.10"]),
        (_env(python="3.12.1"), ["Python >= 3.10"], []),
        (_env(), ["torch>=2.4"], []),  # not installed: not a violation
        (
            _env(tensorflow_cpu="2.15.1"),
            ["tensorflow>=2.16"],
            ["tensorflow-cpu 2.15.1 violates the policy pin tensorflow>=2.16"],
        ),
        (_env(numpy="2.1.0"), ["NumPy<2"], ["numpy 2.1.0 violates the policy pin NumPy<2"]),
        (_env(numpy="2.1.0"), ["numpy<2; python_version < '3.11'"], []),  # marker false here
        (
            _env(python="3.10.4", numpy="2.1.0"),
            ["numpy<2; python_version < '3.11'"],
            ["numpy 2.1.0 violates the policy pin numpy<2; python_version < '3.11'"],
        ),
        (_env(numpy="garbage"), ["numpy<2"], []),  # unreadable version: PKG005's business
        (_env(numpy="2.1.0"), ["numpy"], []),  # no specifier: nothing to check
        (_env(numpy="2.1.0"), ["not a requirement!!"], []),  # never raises
        (_env(numpy="2.1.0"), "numpy<2", ["numpy 2.1.0 violates the policy pin numpy<2"]),
        (_env(numpy="2.1.0"), None, []),
    ],
)
def test_check_requirements(env: Environment, require: object, expected: list[str]) -> None:
    assert _titles(env, require) == expected


def test_finding_shape() -> None:
    ctx = CheckContext(env=_env(torch="2.3.1"), matrices=MATRICES, options={"require": ["torch>=2.4"]})
    (f,) = check_requirements(ctx)
    assert (f.code, f.severity, f.area, f.components) == ("POL001", Severity.ERROR, "policy", ("torch",))
    assert f.fix == "pip install 'torch>=2.4'"


def test_python_fix_is_prose() -> None:
    ctx = CheckContext(env=_env(python="3.9.1"), matrices=MATRICES, options={"require": ["python>=3.10"]})
    (f,) = check_requirements(ctx)
    assert f.fix == "Use a Python interpreter >=3.10." and f.components == ("python",)


def test_registered_as_an_area() -> None:
    ctx = CheckContext(env=_env(torch="2.3.1"), matrices=MATRICES, options={"require": ["torch>=9"]})
    assert [f.code for f in run_checks(ctx) if f.code == "POL001"] == ["POL001"]
