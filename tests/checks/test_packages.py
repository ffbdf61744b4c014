"""PKG001-PKG005: pip-check-style consistency, duplicate modules, broken installs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from compataudit.checks import CheckContext
from compataudit.checks.packages import (
    check_broken_installs,
    check_duplicate_metadata,
    check_duplicate_modules,
    check_requirements,
)
from compataudit.compat.matrices import load_matrices
from compataudit.model import Environment, Package, PlatformInfo, PythonInfo
from compataudit.versions import marker_environment

ENV = Environment(python=PythonInfo("3.11.7"), platform=PlatformInfo("Linux", "x86_64"))


def _ctx(*packages: Package, env: Environment = ENV) -> CheckContext:
    return CheckContext(replace(env, packages=packages), load_matrices())


def _codes(findings: object) -> list[tuple[str, tuple[str, ...]]]:
    return [(f.code, f.components) for f in findings]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("packages", "expected"),
    [
        # the torch pin of an official torchvision wheel, local label ignored as pip does
        (
            (
                Package("torchvision", "0.20.1+cu124", "/s", ("torch==2.5.1",)),
                Package("torch", "2.5.1+cu124", "/s"),
            ),
            [],
        ),
        # a torch extension's torch pin is TCH001 / TCH004's (with the family fix), not PKG002's
        (
            (Package("torchvision", "0.20.1", "/s", ("torch==2.5.1",)), Package("torch", "2.4.0", "/s")),
            [],
        ),
        (
            (Package("kornia", "0.8.0", "/s", ("torch>=2.5",)), Package("torch", "2.4.0", "/s")),
            [("PKG002", ("kornia", "torch"))],
        ),
        # a local label in the requirement is kept: met by that build only
        (
            (
                Package("torchaudio", "2.5.1+cu124", "/s", ("torch==2.5.1+cu124",)),
                Package("torch", "2.5.1+cu124", "/s"),
            ),
            [],
        ),
        (
            (
                Package("torchaudio", "2.5.1+cu124", "/s", ("torch==2.5.1+cu124",)),
                Package("torch", "2.5.1+cpu", "/s"),
            ),
            [],  # TCH004 (and TCH003) say it
        ),
        (
            (Package("torchvision", "0.20.1", "/s", ("torch==2.5.1",)),),
            [("PKG001", ("torchvision", "torch"))],
        ),
        # tf-keras declares `tensorflow`; tensorflow-cpu provides it (pip check would complain)
        (
            (
                Package("tf-keras", "2.21.0", "/s", ("tensorflow<2.22,>=2.21",)),
                Package("tensorflow-cpu", "2.21.0", "/s"),
            ),
            [],
        ),
        (
            (
                Package("tf-keras", "2.20.1", "/s", ("tensorflow<2.21,>=2.20",)),
                Package("tensorflow-cpu", "2.21.0", "/s"),
            ),
            [("PKG002", ("tf-keras", "tensorflow-cpu"))],
        ),
        # markers: extras and other platforms do not apply
        (
            (Package("jax", "0.4.30", "/s", ('jaxlib; extra == "cpu"', 'pywin32; sys_platform == "win32"')),),
            [],
        ),
        ((Package("a", "1", "/s", ('b>=2; python_version >= "3.11"',)),), [("PKG001", ("a", "b"))]),
        # nightlies count as inside ranges
        ((Package("x", "1", "/s", ("torch>=2.5",)), Package("torch", "2.6.0.dev20241001+cu124", "/s")), []),
        # malformed requirement lines of third-party metadata are skipped, not fatal
        ((Package("weird", "1", "/s", ("this is (not valid",)),), []),
        # pinned (what-if) packages have no metadata to check
        ((Package("torchvision", "0.20.1", None, (), pinned=True),), []),
    ],
)
def test_requirements(packages: tuple[Package, ...], expected: list[object]) -> None:
    assert _codes(check_requirements(_ctx(*packages))) == expected


def test_requirements_use_the_audited_python() -> None:
    pkg = Package("a", "1", "/s", ('b; python_version < "3.11"',))
    env310 = replace(ENV, python=PythonInfo("3.10.4"))
    assert _codes(check_requirements(_ctx(pkg))) == []
    assert _codes(check_requirements(_ctx(pkg, env=env310))) == [("PKG001", ("a", "b"))]


def test_unknown_python_skips_marker_evaluation() -> None:
    env = replace(ENV, python=PythonInfo(""))
    assert marker_environment(env) is None
    assert _codes(check_requirements(_ctx(Package("a", "1", "/s", ("b",)), env=env))) == []


def test_duplicate_modules(tmp_path: Path) -> None:
    (tmp_path / "tensorflow").mkdir()
    (tmp_path / "tensorflow" / "__init__.py").write_text("")
    (tmp_path / "nvidia").mkdir()  # a namespace package: sharing it is normal
    pkgs = (
        Package("tensorflow", "2.15.0", str(tmp_path), modules=("tensorflow",)),
        Package("tensorflow-cpu", "2.15.0", str(tmp_path), modules=("tensorflow",)),
        Package("nvidia-cublas-cu12", "12.1.3.1", str(tmp_path), modules=("nvidia",)),
        Package("nvidia-cudnn-cu12", "8.9.2.26", str(tmp_path), modules=("nvidia",)),
    )
    findings = list(check_duplicate_modules(_ctx(*pkgs, env=replace(ENV, origin="probe"))))
    assert _codes(findings) == [("PKG003", ("tensorflow", "tensorflow-cpu"))]
    assert findings[0].fix == "pip uninstall -y tensorflow tensorflow-cpu; pip install tensorflow==2.15.0"


def test_broken_and_unparsable() -> None:
    pkgs = (
        Package("keras", "", "/s", problem="metadata has no Version"),
        Package("odd", "not a version", "/s"),
        Package("torch", "2.4.0a0+git59b3fa1", "/s"),
        Package("numpy", "1.13.1.post2", "/s"),
    )
    found = list(check_broken_installs(_ctx(*pkgs)))
    assert _codes(found) == [("PKG004", ("keras",)), ("PKG005", ("odd",))]
    assert found[0].fix == "pip install --force-reinstall --no-deps keras"


def test_duplicate_metadata_names_both() -> None:
    torch = Package("torch", "2.5.1", "/site", duplicates=("torch-2.4.0.dist-info",))
    (found,) = check_duplicate_metadata(_ctx(torch))
    assert found.code == "PKG006" and found.components == ("torch",)
    assert "2.5.1" in found.title and "torch-2.4.0.dist-info" in found.title
    assert found.fix == (
        "rm -rf /site/torch-2.4.0.dist-info; pip install --force-reinstall --no-deps torch==2.5.1"
    )
