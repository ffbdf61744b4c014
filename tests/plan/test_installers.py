"""pip commands in fixes, rewritten for the installer that manages the environment."""

from __future__ import annotations

import pytest

from compataudit.plan.installers import InstallStep, in_dialect, parse_pip, render

CU130 = "https://download.pytorch.org/whl/cu130"


def test_parse_pip_reads_requirements_index_and_flags() -> None:
    step = parse_pip(f'pip install --force-reinstall --no-deps "torch==2.13.0+cu130" --index-url {CU130}')
    assert step == InstallStep("install", ("torch==2.13.0+cu130",), CU130, force_reinstall=True, no_deps=True)
    assert parse_pip("pip uninstall -y tensorflow-cpu") == InstallStep("uninstall", ("tensorflow-cpu",))


@pytest.mark.parametrize(
    "command",
    ["pip", "pip install", "pip download torch", "pip install --target /x torch", 'pip install "unclosed'],
)
def test_parse_pip_leaves_what_it_does_not_know(command: str) -> None:
    assert parse_pip(command) is None


@pytest.mark.parametrize(
    ("installer", "expected"),
    [
        ("pip", f"pip install torch==2.13.0+cu130 'keras>=3.12.0' --index-url {CU130}"),
        ("uv", f"uv pip install torch==2.13.0+cu130 'keras>=3.12.0' --index-url {CU130}"),
        ("uv-project", f"uv add torch==2.13.0+cu130 'keras>=3.12.0' --index pytorch-cu130={CU130}"),
        (
            "poetry",
            f"poetry source add --priority=explicit pytorch-cu130 {CU130}; "
            "poetry add --source pytorch-cu130 torch==2.13.0+cu130 'keras>=3.12.0'",
        ),
    ],
)
def test_render_install_per_installer(installer: str, expected: str) -> None:
    step = InstallStep("install", ("torch==2.13.0+cu130", "keras>=3.12.0"), CU130)
    assert render(step, installer) == expected


@pytest.mark.parametrize(
    ("installer", "expected"),
    [
        ("pip", "pip uninstall -y tensorflow-cpu"),
        ("uv", "uv pip uninstall tensorflow-cpu"),  # uv never asks: it has no -y
        ("uv-project", "uv remove tensorflow-cpu"),
        ("poetry", "poetry remove tensorflow-cpu"),
    ],
)
def test_render_uninstall_per_installer(installer: str, expected: str) -> None:
    assert render(InstallStep("uninstall", ("tensorflow-cpu",)), installer) == expected


def test_in_dialect_rewrites_every_command_and_keeps_the_prose() -> None:
    fix = (
        "Upgrade the NVIDIA driver to >= 595.45.04, or install a build it runs in full (CUDA <= 13.0): "
        'pip uninstall -y tensorflow-cpu; pip install "tensorflow[and-cuda]==2.21.0" "keras>=3.12.0"'
    )
    assert in_dialect(fix, "uv") == (
        "Upgrade the NVIDIA driver to >= 595.45.04, or install a build it runs in full (CUDA <= 13.0): "
        "uv pip uninstall tensorflow-cpu; uv pip install 'tensorflow[and-cuda]==2.21.0' 'keras>=3.12.0'"
    )


def test_in_dialect_keeps_a_trailing_remark() -> None:
    fix = 'pip install "numpy<2"  # or a torch that accepts numpy 2'
    assert in_dialect(fix, "uv") == "uv pip install 'numpy<2'  # or a torch that accepts numpy 2"


@pytest.mark.parametrize("installer", [None, "pip"])
def test_pip_fixes_stay_as_written(installer: str | None) -> None:
    fix = 'pip install "numpy<2"'
    assert in_dialect(fix, installer) == fix


def test_compataudit_own_upgrade_is_not_the_environments() -> None:
    fix = "Upgrade compataudit (pip install -U compataudit), or pass --matrices DIR with newer data"
    assert in_dialect(fix, "poetry") == fix


def test_conda_installs_conda_packages_from_their_channel_and_leaves_pip_ones_to_pip() -> None:
    channels = {"numpy": "conda-forge"}
    fix = 'pip install "numpy<2" "keras>=3.12.0"'
    assert (
        in_dialect(fix, "conda", channels)
        == "conda install -y -c conda-forge 'numpy<2'; pip install 'keras>=3.12.0'"
    )
    assert in_dialect(fix, "mamba", channels).startswith("mamba install -y -c conda-forge 'numpy<2'")


def test_conda_keeps_pip_for_wheel_indexes_and_labels() -> None:
    channels = {"torch": "pytorch"}
    fix = f"pip install torch==2.13.0+cu130 --index-url {CU130}"
    assert in_dialect(fix, "conda", channels) == fix
    assert in_dialect("pip uninstall -y torch", "conda", channels) == "conda remove -y torch"


def test_conda_uses_condas_names_and_the_environments_channels() -> None:
    channels = {"torch": "pytorch", "torchvision": "conda"}  # "conda": from the env's own channels
    fix = "pip install torch==2.1.0 torchvision==0.16.0 torchaudio==2.1.0"
    assert in_dialect(fix, "conda", channels, {"torch": "pytorch"}) == (
        "conda install -y -c pytorch pytorch==2.1.0 torchvision==0.16.0; pip install torchaudio==2.1.0"
    )


def test_stack_files_audit_in_their_installers_words() -> None:
    """`-r uv.lock` / `-r poetry.lock` / `-r environment.yml` on the recorded real files."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    inputs = Path(__file__).parents[1] / "fixtures" / "inputs"
    expected = {
        "uv.lock": "uv add torch==2.5.1 torchvision==0.20.1",
        "poetry.lock": "poetry add torch==2.5.1 torchvision==0.20.1",
        "environment.yml": "conda install -y -c pytorch pytorch==2.1.0 torchvision==0.16.0; "
        "pip install torchaudio==2.1.0",
    }
    for name, fix in expected.items():
        args = ["check", "--no-probe", "--no-smoke", "-r", str(inputs / name), "--format", "json"]
        done = subprocess.run(
            [sys.executable, "-m", "compataudit", *args],
            capture_output=True,
            text=True,
            check=False,
        )
        fixes = [f["fix"] for f in json.loads(done.stdout)["findings"] if f["code"] == "TCH001"]
        assert fixes == [fix], name


def test_uv_project_reinstalls_what_the_lock_already_holds() -> None:
    step = parse_pip("pip install --force-reinstall torch==2.13.0")
    assert step is not None
    assert render(step, "uv-project") == "uv add torch==2.13.0 --reinstall-package torch"


def test_uv_project_repairs_without_dependencies_in_the_venv() -> None:
    """A lock cannot leave a dependency out; `uv pip` repairs the venv itself."""
    step = parse_pip('pip install --no-deps "tf-keras~=2.21.0"')
    assert step is not None
    assert render(step, "uv-project") == "uv pip install --no-deps tf-keras~=2.21.0"
