"""Lock files made by the real tools (uv, Poetry, pipenv): kind detection, pins, lines, findings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from compataudit.cli.app import main
from compataudit.errors import InputError
from compataudit.inputs import detect_kind, read_stack_file

FIXTURES = Path(__file__).parent.parent / "fixtures" / "inputs"

# file -> (kind, line of torch, line of torchvision, number of pins)
LOCKS = {
    "uv.lock": ("uv.lock", 240, 272, 25),
    "pylock.toml": ("pylock", 195, 206, 25),
    "poetry.lock": ("poetry.lock", 609, 663, 25),
    "Pipfile.lock": ("Pipfile.lock", 487, 514, 25),
}


@pytest.mark.parametrize("name", sorted(LOCKS))
def test_real_lock_files(name: str) -> None:
    kind, torch_line, vision_line, count = LOCKS[name]
    stack = read_stack_file(str(FIXTURES / name))
    pins = {p.name: p for p in stack.pins}
    assert stack.kind == kind
    assert (pins["torch"].version, pins["torchvision"].version) == ("2.5.1", "0.19.1")
    assert pins["torch"].where.endswith(f"{name}:{torch_line}")
    assert pins["torchvision"].where.endswith(f"{name}:{vision_line}")
    assert len(pins) == count


@pytest.mark.parametrize("name", sorted(LOCKS))
def test_each_lock_gives_the_pair_mismatch_at_its_line(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--no-probe", "--python", "3.11", "-r", str(FIXTURES / name), "-f", "sarif"])
    assert exit_info.value.code == 1
    sarif = json.loads(capsys.readouterr().out)
    (result,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "TCH001"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith(name)
    assert location["region"]["startLine"] == LOCKS[name][1]


def test_uv_lock_lists_the_project_itself_as_not_audited() -> None:
    (note,) = read_stack_file(str(FIXTURES / "uv.lock")).notes
    assert "trainer" in note


def test_markers_of_a_lock_apply_to_the_audited_platform() -> None:
    stack = read_stack_file(str(FIXTURES / "pylock.toml"))
    cudnn = next(p for p in stack.pins if p.name == "nvidia-cudnn-cu12")
    assert cudnn.marker == "platform_machine == 'x86_64' and sys_platform == 'linux'"


@pytest.mark.parametrize(
    ("name", "text", "kind"),
    [
        ("requirements-gpu.txt", "torch==2.5.1\n", "requirements"),
        ("deps.lock", 'version = 1\nrevision = 3\nrequires-python = ">=3.11"\n\n[[package]]\n', "uv.lock"),
        ("locked.toml", 'lock-version = "1.0"\n[[packages]]\n', "pylock"),
        ("pylock.gpu.toml", "", "pylock"),
        ("deps.lock", '[[package]]\nname = "torch"\nversion = "2.4.1"\n', "poetry.lock"),
        ("frozen.json", '{\n "_meta": {}, "default": {}\n}', "Pipfile.lock"),
        ("conda.yaml", "dependencies:\n  - python=3.11\n", "environment.yml"),
        ("env.txt", "name: x\ndependencies:\n  - pytorch=2.1.0\n", "environment.yml"),
        ("Containerfile", "", "Dockerfile"),
        ("train.Dockerfile", "", "Dockerfile"),
        ("image", "# syntax=docker/dockerfile:1\nFROM python:3.11\n", "Dockerfile"),
    ],
)
def test_kind_by_name_then_content(name: str, text: str, kind: str) -> None:
    assert detect_kind(name, text) == kind


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("uv.lock", "version = 1\n[[package]\n", r"uv\.lock: not valid TOML"),
        ("pylock.toml", 'lock-version = "2.0"\n', r"lock-version '2\.0' is not a PEP 751 lock"),
        (
            "poetry.lock",
            '[[package]]\nversion = "1"\n',
            r"poetry\.lock:1: a \[\[package\]\] entry without a name",
        ),
        ("Pipfile.lock", '{"_meta": {},\n "default": [}', r"Pipfile\.lock:2: not valid JSON"),
        ("Pipfile.lock", '{"_meta": {}}', 'no "default" section'),
    ],
)
def test_malformed_locks(tmp_path: Path, name: str, body: str, message: str) -> None:
    (tmp_path / name).write_text(body)
    with pytest.raises(InputError, match=message):
        read_stack_file(str(tmp_path / name))


def test_malformed_lock_on_the_cli_is_exit_2_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(FIXTURES / "uv.lock", tmp_path / "uv.lock")
    with (tmp_path / "uv.lock").open("a") as fh:
        fh.write("[[package]\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--no-probe", "-r", str(tmp_path / "uv.lock"), "-f", "json"])
    assert exit_info.value.code == 2
    assert "not valid TOML" in json.loads(capsys.readouterr().out)["error"]["message"]
