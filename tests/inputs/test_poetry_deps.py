"""Poetry's dependency tables (pyproject.toml without PEP 621 dependencies).

Constraint rules from Poetry's documentation (python-poetry.org/docs/dependency-specification):
caret, tilde, wildcard and inequality requirements.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from compataudit.errors import InputError
from compataudit.inputs import read_stack_file
from compataudit.inputs.poetry_deps import convert, split_local


@pytest.mark.parametrize(
    ("poetry", "pep440"),
    [
        ("^1.2.3", ">=1.2.3,<2"),
        ("^1.2", ">=1.2,<2"),
        ("^0.2.3", ">=0.2.3,<0.3"),
        ("^0.0.3", ">=0.0.3,<0.0.4"),
        ("~1.2.3", ">=1.2.3,<1.3"),
        ("~1", ">=1,<2"),
        ("*", ""),
        ("1.2.*", "==1.2.*"),
        ("2.5.1", "==2.5.1"),
        (">=2.1,<2.6", ">=2.1,<2.6"),
        (">= 2.1 < 2.6", ">=2.1,<2.6"),
        ("~=2.1", "~=2.1"),
        ("^1.0 || ^2.0", None),
    ],
)
def test_constraints(poetry: str, pep440: str | None) -> None:
    assert convert(poetry) == pep440


def test_a_local_label_names_the_build() -> None:
    assert split_local("^2.3.1+cu121") == ("^2.3.1", "cu121")


PROJECT = """\
[tool.poetry]
name = "trainer"
version = "0.1.0"
package-mode = false

[[tool.poetry.source]]
name = "torch_cu121"
url = "https://download.pytorch.org/whl/cu121"
priority = "explicit"

[tool.poetry.dependencies]
python = "^3.10,<3.12"
numpy = "^1.24.2"
torch = {version = "^2.3.1+cu121", source = "torch_cu121"}
torchvision = {version = "^0.18.1", source = "torch_cu121"}
tensorflow = {version = "^2.15", optional = true}
jax = [
  { version = "^0.4.30", platform = "linux" },
  { version = "^0.4.20", platform = "darwin" },
]

[tool.poetry.extras]
tf = ["tensorflow"]

[tool.poetry.group.dev.dependencies]
pytest = "^8"
"""


def _read(tmp_path: Path, **kw: tuple[str, ...]) -> dict[str, tuple[str, str | None]]:
    (tmp_path / "pyproject.toml").write_text(PROJECT)
    stack = read_stack_file(str(tmp_path / "pyproject.toml"), **kw)
    out = {w.name: (w.specifier, w.variant) for w in stack.wants}
    out.update((p.name, (p.version, None)) for p in stack.pins)
    return out


def test_poetry_dependencies(tmp_path: Path) -> None:
    read = _read(tmp_path)
    assert read["torch"] == ("<3,>=2.3.1", "cu121")
    assert read["torchvision"] == ("<0.19,>=0.18.1", "cu121")
    assert read["numpy"] == ("<2,>=1.24.2", None)
    assert "tensorflow" not in read and "pytest" not in read and "python" not in read
    if sys.platform == "linux":
        assert read["jax"] == ("<0.5,>=0.4.30", None)


def test_extras_and_groups(tmp_path: Path) -> None:
    read = _read(tmp_path, extras=("tf",), groups=("dev",))
    assert read["tensorflow"][0] == "<3,>=2.15" and read["pytest"][0] == "<9,>=8"
    with pytest.raises(InputError, match=r"--group docs: no such Poetry group \(it has: dev\)"):
        _read(tmp_path, groups=("docs",))
    with pytest.raises(InputError, match=r"--extra gpu: no such extra"):
        _read(tmp_path, extras=("gpu",))
