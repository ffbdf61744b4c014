"""``suggest`` round-trips through the checks: every suggested set passes ``check``.

For each situation the suggestion's pins are applied to the same what-if
environment and all checks run against the real matrices: zero errors. A
negative control shows the same checks do reject a suggestion made for a
different machine, so the round trip can fail.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from compataudit.checks import CheckContext, run_checks
from compataudit.compat.matrices import Matrices, load_matrices
from compataudit.errors import UsageError
from compataudit.formats.suggestion import render_table
from compataudit.model import Environment, Gpu, Severity
from compataudit.options import EnvOptions
from compataudit.plan.suggest import suggest
from compataudit.sources.whatif import apply_what_if, empty_environment
from tests.envs import environment
from tests.plan.plan_helpers import real_env

DRIVERS = ("470.82.01", "535.104.05", "550.54.14", "580.65.06")
GPUS = {
    "pascal": "6.1",
    "volta": "7.0",
    "turing": "7.5",
    "ampere-a100": "8.0",
    "ampere-rtx30": "8.6",
    "hopper": "9.0",
    "blackwell-b200": "10.0",
    "blackwell-rtx50": "12.0",
    "kepler": "3.5",
}
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
SITUATIONS = [
    pytest.param(driver, cc, py, id=f"{driver.split('.')[0]}-{name}-py{py}")
    for driver in DRIVERS
    for name, cc in GPUS.items()
    for py in PYTHONS
] + [pytest.param(None, None, py, id=f"no-gpu-py{py}") for py in PYTHONS]


def what_if(python: str, driver: str | None, cc: str | None) -> Environment:
    return apply_what_if(
        empty_environment(), EnvOptions(python=python, driver=driver, gpu_ccs=(cc,) if cc else ())
    )


def errors_after(env: Environment, pins: tuple[str, ...], matrices: Matrices) -> list[str]:
    pinned = apply_what_if(env, EnvOptions(pins=pins))
    return [
        f"{f.code}: {f.title}"
        for f in run_checks(CheckContext(pinned, matrices))
        if f.severity is Severity.ERROR
    ]


@pytest.mark.parametrize(("driver", "cc", "python"), SITUATIONS)
def test_suggestion_passes_check(driver: str | None, cc: str | None, python: str, matrices: Matrices) -> None:
    env = what_if(python, driver, cc)
    s = suggest(env, matrices)
    assert s.pins, "a suggestion names something to install (or problems say why not)"
    assert errors_after(env, s.pins, matrices) == []
    for framework in ("torch", "tensorflow", "jax"):
        # each framework is suggested, or the output says plainly why not
        assert framework in s.variants or any(framework.lower() in p.lower() for p in s.problems)


def test_the_round_trip_can_fail(matrices: Matrices) -> None:
    hopper = suggest(what_if("3.12", "580.65.06", "9.0"), matrices)
    pascal = what_if("3.10", "470.82.01", "6.1")
    codes = {e.split(":")[0] for e in errors_after(pascal, hopper.pins, matrices)}
    assert {"DRV001", "PY001"} <= codes


@pytest.mark.parametrize("framework", ["torch", "tensorflow", "jax"])
def test_gpu_build_when_driver_and_gpu_fit(framework: str, matrices: Matrices) -> None:
    s = suggest(what_if("3.12", "580.65.06", "9.0"), matrices, [framework])
    assert s.variants[framework] not in ("cpu", None)
    assert not s.problems
    assert any(c.startswith("pip install ") for c in s.commands)
    assert any(c.startswith("uv pip install ") for c in s.commands)


def test_kepler_gets_a_plain_no_and_the_newest_build_that_works(matrices: Matrices) -> None:
    s = suggest(what_if("3.11", "470.82.01", "3.5"), matrices, ["torch"])
    assert s.variants["torch"] == "cpu"
    assert len(s.problems) == 1
    assert s.problems[0].startswith("No torch build")
    assert "CPU build" in s.problems[0]
    assert "--index-url https://download.pytorch.org/whl/cpu" in s.commands[0]


def test_old_driver_names_the_driver_the_newest_torch_needs(matrices: Matrices) -> None:
    s = suggest(what_if("3.11", "470.82.01", "8.0"), matrices, ["torch"])
    text = " ".join(s.problems + s.reasons)
    assert "driver 470.82.01" in text and "needs driver >=" in text


def test_cuda_variant_index_only_where_the_default_does_not_fit(matrices: Matrices) -> None:
    from compataudit.compat.torch import default_variant

    s = suggest(what_if("3.12", "580.65.06", "9.0"), matrices, ["torch"])
    minor = s.packages["torch"].removesuffix(".*")
    default = default_variant(matrices, minor)
    has_index = "--index-url" in s.commands[0]
    assert has_index == (s.variants["torch"] != default)


def test_numpy_conflict_is_said_plainly(matrices: Matrices) -> None:
    # TensorFlow's newest GPU build for Kepler-era archs wants numpy<2, JAX wants >=2
    s = suggest(what_if("3.11", "535.104.05", "3.5"), matrices)
    if "numpy" in s.packages:
        pytest.skip("the data now has a numpy range that suits all three")
    assert any(p.startswith("No numpy satisfies every framework") for p in s.problems)


def test_this_machines_numpy_is_kept_when_it_fits(matrices: Matrices) -> None:
    env = real_env()
    s = suggest(env, matrices, installed_numpy="2.4.6")
    assert "numpy==2.4.6" in s.pins
    assert errors_after(env, s.pins, matrices) == []


def test_gpu_known_only_by_name(matrices: Matrices) -> None:
    env = what_if("3.12", "580.65.06", None)
    env = replace(
        env,
        nvidia=replace(
            env.nvidia,
            gpus=(Gpu(index=0, name="NVIDIA H100 80GB HBM3"), Gpu(index=1, name="Mystery Accelerator")),
        ),
    )
    s = suggest(env, matrices, ["torch"])
    assert s.target.gpu_ccs == ("9.0",)
    assert any("Mystery Accelerator" in r and "left out" in r for r in s.reasons)


def test_needs_a_python_version(matrices: Matrices) -> None:
    with pytest.raises(UsageError, match="--python"):
        suggest(empty_environment(), matrices)


def test_unknown_framework(matrices: Matrices) -> None:
    with pytest.raises(UsageError, match="mxnet"):
        suggest(what_if("3.11", None, None), matrices, ["mxnet"])


def test_table(matrices: Matrices) -> None:
    text = render_table(suggest(what_if("3.11", "470.82.01", "3.5"), matrices, ["torch"]))
    assert text.startswith("Target: Python 3.11, Linux x86_64, driver 470.82.01")
    assert "Install with pip:" in text and "or with uv:" in text
    assert "Not possible here:" in text


def test_prefers_the_newest_complete_torch_family(matrices: Matrices) -> None:
    """torch 2.15's only known build is cu132 (beyond a 550 driver): 2.14 with torchvision
    0.29 is the newest whole family, and the reasons say why 2.15 was passed over."""
    s = suggest(what_if("3.11", "550.54.14", "8.6"), matrices, ["torch"])
    assert s.packages["torch"] == "2.14.*" and s.packages["torchvision"] == "0.29.*"
    assert any(r.startswith("torch 2.15 is newer but") for r in s.reasons)


def test_a_release_without_a_torchvision_pair_is_passed_over(matrices: Matrices, tmp_path: Path) -> None:
    """Without the torchvision 0.29 rows, 2.14 has no partner: 2.13 keeps the family whole."""
    import shutil

    shutil.copytree(matrices.directory, tmp_path / "m", ignore=shutil.ignore_patterns("harvested"))
    toml = tmp_path / "m" / "torch.toml"
    text = toml.read_text(encoding="utf-8")
    old = 'torch = "2.14"\ntorchvision = "0.29"'
    assert old in text
    toml.write_text(text.replace(old, 'torch = "2.99"\ntorchvision = "0.29"'), encoding="utf-8")
    s = suggest(what_if("3.11", "550.54.14", "8.6"), load_matrices(tmp_path / "m"), ["torch"])
    assert s.packages["torch"] == "2.13.*" and s.packages["torchvision"] == "0.28.*"
    assert any("no torchvision release pairs with it" in r for r in s.reasons)


def _with(*pins: tuple[str, str]) -> Environment:
    return environment(*pins)


def test_another_build_under_the_same_pin_is_force_reinstalled() -> None:
    from compataudit.plan.suggest import acted_on_here

    cu130 = '"torch==2.15.*" --index-url https://download.pytorch.org/whl/cu130'
    # pip answers "already satisfied" for 2.15.0+cpu under torch==2.15.*: it must reinstall
    assert acted_on_here(f"pip install {cu130}", _with(("torch", "2.15.0+cpu"))) == (
        "pip install --force-reinstall 'torch==2.15.*' --index-url https://download.pytorch.org/whl/cu130"
    )
    # PyPI's default build (no index named) against an installed CPU build
    assert acted_on_here('pip install "torch==2.15.*"', _with(("torch", "2.15.0+cpu")), "cu130").startswith(
        "pip install --force-reinstall"
    )
    # the same build, or another release: pip acts without help
    assert acted_on_here(f"pip install {cu130}", _with(("torch", "2.15.0+cu130"))) == f"pip install {cu130}"
    assert acted_on_here(f"pip install {cu130}", _with(("torch", "2.13.0+cpu"))) == f"pip install {cu130}"


def test_another_tensorflow_distribution_goes_first() -> None:
    from compataudit.plan.suggest import acted_on_here

    command = 'pip install "tensorflow[and-cuda]==2.21.0"'
    assert acted_on_here(command, _with(("tensorflow-cpu", "2.21.0"))) == (
        f"pip uninstall -y tensorflow-cpu; {command}"
    )
    assert acted_on_here(command, _with(("tensorflow", "2.20.0"))) == command
