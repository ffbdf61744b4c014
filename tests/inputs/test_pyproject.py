"""pyproject.toml: dependencies, extras, dependency groups and uv's PyTorch index sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from compataudit.errors import InputError
from compataudit.inputs import detect_kind, read_stack_file

PROJECT = """\
[build-system]
requires = ["hatchling"]

[project]
name = "Demo_Proj"
requires-python = ">=3.10"
dependencies = [
  "torch>=2.4",
  "numpy==1.26.4",
  "requests",
]

[project.optional-dependencies]
vision = ["torchvision>=0.19"]
all = ["demo-proj[vision]", "tensorboard"]

[dependency-groups]
test = ["pytest>=8"]
ci = [{include-group = "test"}, "jax[cpu]==0.4.30"]

[[tool.uv.index]]
name = "pytorch-cu126"
url = "https://download.pytorch.org/whl/cu126"
explicit = true

[[tool.uv.index]]
name = "pytorch-cpu"
url = "https://download.pytorch.org/whl/cpu"
explicit = true

[tool.uv.sources]
torch = [
  { index = "pytorch-cpu", extra = "cpu" },
  { index = "pytorch-cu126", marker = "sys_platform == 'linux'" },
]
torchvision = { index = "pytorch-cu126" }
"""


def _write(tmp_path: Path, text: str = PROJECT, name: str = "pyproject.toml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_dependencies_pins_and_requirements(tmp_path: Path) -> None:
    stack = read_stack_file(_write(tmp_path))
    assert stack.kind == "pyproject.toml" and stack.requires_python == ">=3.10"
    assert [(p.name, p.version, p.where.rsplit(":", 1)[1]) for p in stack.pins] == [("numpy", "1.26.4", "9")]
    assert [(w.name, w.specifier, w.text) for w in stack.wants] == [
        ("torch", ">=2.4", "torch>=2.4"),
        ("requests", "", "requests"),
    ]


def test_uv_sources_give_the_variant_where_they_apply(tmp_path: Path) -> None:
    import sys

    (torch,) = [w for w in read_stack_file(_write(tmp_path)).wants if w.name == "torch"]
    # the cpu source needs --extra cpu; the cu126 one holds on Linux
    assert torch.variant == ("cu126" if sys.platform == "linux" else None)


def test_extras_follow_self_references_and_groups_include_groups(tmp_path: Path) -> None:
    stack = read_stack_file(_write(tmp_path), extras=("all",), groups=("ci",))
    names = [w.name for w in stack.wants] + [p.name for p in stack.pins]
    assert {"torchvision", "tensorboard", "pytest", "jax"} <= set(names)
    (torchvision,) = [w for w in stack.wants if w.name == "torchvision"]
    assert torchvision.variant == "cu126"
    (jax,) = [p for p in stack.pins if p.name == "jax"]
    assert jax.version == "0.4.30"


@pytest.mark.parametrize(
    ("extras", "groups", "message"),
    [
        (("gpu",), (), "--extra gpu: no such optional dependency (it has: all, vision)"),
        ((), ("docs",), "--group docs: no such dependency group (it has: ci, test)"),
    ],
)
def test_unknown_extra_or_group(
    tmp_path: Path, extras: tuple[str, ...], groups: tuple[str, ...], message: str
) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_stack_file(_write(tmp_path), extras=extras, groups=groups)


def test_groups_that_include_each_other(tmp_path: Path) -> None:
    text = '[dependency-groups]\na = [{include-group = "b"}]\nb = [{include-group = "a"}]\n'
    with pytest.raises(InputError, match="include each other"):
        read_stack_file(_write(tmp_path, text), groups=("a",))


def test_detected_by_content_under_another_name(tmp_path: Path) -> None:
    path = _write(tmp_path, name="project.toml")
    assert detect_kind(path, PROJECT) == "pyproject.toml"


def test_invalid_toml_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not valid TOML"):
        read_stack_file(_write(tmp_path, "[project\nname = 1\n"))


FIXTURES = Path(__file__).parent.parent / "fixtures" / "inputs"


@pytest.mark.parametrize(
    ("name", "torch", "codes"),
    [
        # uv's override-dependencies force torch 2.5.1 under torchvision 0.19.1 (as its uv.lock does)
        ("uv-project.pyproject.toml", "2.5.1", {"TCH001"}),
        ("poetry-project.pyproject.toml", "2.4.1", set()),
    ],
)
def test_the_projects_behind_the_lock_fixtures(
    name: str, torch: str, codes: set[str], capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from compataudit.cli.app import main

    with pytest.raises(SystemExit):
        main(["check", "--no-probe", "--python", "3.11", "-r", str(FIXTURES / name), "-f", "json"])
    data = json.loads(capsys.readouterr().out)
    versions = {p["name"]: p["version"] for p in data["environment"]["packages"]}
    assert versions["torch"] == torch
    assert {f["code"] for f in data["findings"] if f["severity"] == "error"} == codes
