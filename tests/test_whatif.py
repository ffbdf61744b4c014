"""What-if flags: validation and how they amend an environment."""

from __future__ import annotations

import pytest

from compataudit.errors import UsageError
from compataudit.model import BuildInfo, Package, ProbeStatus
from compataudit.options import EnvOptions
from compataudit.sources import build_environment
from compataudit.sources.whatif import apply_what_if, empty_environment, parse_pin


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("torch==2.5.1+cu124", ("torch", "2.5.1+cu124")),
        ("TensorFlow_CPU==2.15.0", ("tensorflow-cpu", "2.15.0")),
        ("torch==2.4.0a0+git59b3fa1", ("torch", "2.4.0a0+git59b3fa1")),
        ("numpy===1.13.1.post2", ("numpy", "1.13.1.post2")),
        ("jax[cuda12]==0.4.30", ("jax", "0.4.30")),
    ],
)
def test_parse_pin(text: str, expected: tuple[str, str]) -> None:
    assert parse_pin(text) == expected


@pytest.mark.parametrize("text", ["torch==not-a-version", "torch>=2.0", "torch", "==2.0", ""])
def test_parse_pin_rejects(text: str) -> None:
    with pytest.raises(UsageError):
        parse_pin(text)


def test_pin_replaces_package_and_drops_its_build_facts() -> None:
    env = empty_environment()
    from dataclasses import replace

    env = replace(
        env,
        packages=(Package("torch", "2.13.0+cpu", "/site"),),
        builds=(BuildInfo("torch", "torch", "2.13.0+cpu", source="/site/torch/version.py"),),
    )
    out = apply_what_if(env, EnvOptions(pins=("torch==2.5.1+cu124",), probe=False))
    (torch,) = out.packages
    assert (torch.version, torch.pinned, out.build("torch")) == ("2.5.1+cu124", True, None)
    assert out.origin == "what-if"


def test_pinning_a_tensorflow_variant_replaces_the_installed_one() -> None:
    from dataclasses import replace

    env = replace(empty_environment(), packages=(Package("tensorflow-cpu", "2.21.0", "/s"),))
    out = apply_what_if(env, EnvOptions(pins=("tensorflow==2.15.0",), probe=False))
    assert [p.name for p in out.packages] == ["tensorflow"]


def test_driver_and_gpus() -> None:
    out = apply_what_if(
        empty_environment(), EnvOptions(driver="470.82.01", gpu_ccs=("8.6", "7.5"), probe=False)
    )
    assert out.nvidia.status is ProbeStatus.OK and out.nvidia.driver_version == "470.82.01"
    assert [g.compute_capability for g in out.nvidia.gpus] == ["8.6", "7.5"]


@pytest.mark.parametrize(
    "opts",
    [
        EnvOptions(python="three", probe=False),
        EnvOptions(python="2.7", probe=False),
        EnvOptions(driver="latest", probe=False),
        EnvOptions(gpu_ccs=("sm_86",), probe=False),
    ],
)
def test_bad_what_if_values(opts: EnvOptions) -> None:
    with pytest.raises(UsageError):
        apply_what_if(empty_environment(), opts)


def test_no_probe_environment_is_empty() -> None:
    env = build_environment(EnvOptions(python="3.12", pins=("tensorflow==2.15.0",), probe=False))
    assert env.python.version == "3.12"
    assert [p.name for p in env.packages] == ["tensorflow"]
    assert env.nvidia.status is ProbeStatus.SKIPPED
