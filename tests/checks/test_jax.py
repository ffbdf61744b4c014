"""jax / jaxlib / plugin agreement, Python range and unknown releases."""

from __future__ import annotations

import pytest

from compataudit.checks import jax as jax_checks
from compataudit.model import Finding
from tests.checks.check_helpers import findings_of
from tests.envs import environment, pins_of


def _run(python: str = "3.11.7", **packages: str) -> list[Finding]:
    return findings_of(jax_checks, environment(*pins_of(**packages), python=python))


def test_jaxlib_newer_than_jax() -> None:
    [f] = _run(jax="0.4.30", jaxlib="0.4.31")
    assert (f.code, f.components) == ("JAX001", ("jax", "jaxlib"))
    assert f.title == "jaxlib 0.4.31 is newer than jax 0.4.30"
    assert f.fix == 'pip install "jax==0.4.30" "jaxlib==0.4.30"'


def test_jaxlib_older_than_minimum_with_plugin_fix() -> None:
    found = _run(jax="0.10.2", jaxlib="0.10.0", jax_cuda12_plugin="0.10.0")
    [f] = [f for f in found if f.code == "JAX001"]
    assert f.title == "jaxlib 0.10.0 is older than jax 0.10.2 requires (>= 0.10.1)"
    assert f.fix == 'pip install "jax[cuda12]==0.10.2"'
    assert "https://github.com/jax-ml/jax/blob/jax-v0.10.2/jax/version.py" in f.sources


@pytest.mark.parametrize(
    ("packages", "codes"),
    [
        pytest.param({"jax": "0.10.2", "jaxlib": "0.10.2"}, [], id="this-venv"),
        pytest.param({"jax": "0.10.2", "jaxlib": "0.10.1"}, [], id="jaxlib-at-minimum"),
        pytest.param({"jax": "0.10.2"}, [], id="no-jaxlib-is-PKG001s"),
        pytest.param({"jaxlib": "0.10.2"}, [], id="jaxlib-alone"),
        pytest.param({"jax": "junk", "jaxlib": "0.10.2"}, [], id="unparsable-is-PKG005s"),
        pytest.param(
            {"jax": "0.10.2", "jaxlib": "0.10.2", "jax_cuda12_plugin": "0.10.1"},
            ["JAX002"],
            id="plugin-behind",
        ),
        pytest.param(
            {"jax": "0.10.2", "jaxlib": "0.10.2", "jax_cuda13_plugin": "0.10.2", "jax_cuda13_pjrt": "0.10.1"},
            ["JAX002"],
            id="pjrt-behind",
        ),
        pytest.param(
            {"jax": "0.10.2", "jaxlib": "0.10.2", "jax_cuda12_plugin": "0.10.2", "jax_cuda12_pjrt": "0.10.2"},
            [],
            id="all-equal",
        ),
        pytest.param({"jax": "0.99.0", "jaxlib": "0.99.0"}, ["MAT001"], id="unknown-release"),
        pytest.param(
            {"jax": "0.99.0", "jaxlib": "1.0.0"}, ["JAX001", "MAT001"], id="unknown-but-newer-jaxlib"
        ),
    ],
)
def test_codes(packages: dict[str, str], codes: list[str]) -> None:
    assert sorted(f.code for f in _run(**packages)) == codes


def test_python_outside_range_names_jax_and_jaxlib() -> None:
    found = _run("3.10.14", jax="0.10.2", jaxlib="0.10.2")
    assert [(f.code, f.components) for f in found] == [
        ("PY001", ("jax", "python")),
        ("PY001", ("jaxlib", "python")),
    ]
    assert (
        found[0].fix
        == 'Use a Python in >=3.11, or install a jax release for Python 3.10.14: pip install "jax==0.6.2"'
    )


def test_python_above_wheel_range() -> None:
    [f, _] = _run("3.13.1", jax="0.4.30", jaxlib="0.4.30")
    assert f.title == "jax 0.4.30 does not support Python 3.13.1 (needs >=3.9,<3.13)"
