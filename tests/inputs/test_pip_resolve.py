"""--resolve asks the real pip (``pip install --dry-run --report``), here against a local index
of tiny wheels (metadata only); without the flag pip is never run."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from compataudit.cli.app import main

WHEELS = {
    ("torch", "2.4.1"): [],
    ("torch", "2.5.0"): [],
    ("torchvision", "0.20.0"): ["torch==2.5.0"],
    ("numpy", "1.26.4"): [],
    ("numpy", "2.1.0"): [],
}


def _wheel(directory: Path, name: str, version: str, requires: list[str]) -> None:
    info = f"{name}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    wheel = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    with zipfile.ZipFile(directory / f"{name}-{version}-py3-none-any.whl", "w") as zf:
        zf.writestr(f"{name}/__init__.py", "")
        zf.writestr(f"{info}/METADATA", metadata)
        zf.writestr(f"{info}/WHEEL", wheel)
        zf.writestr(f"{info}/RECORD", "")


@pytest.fixture
def local_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    index = tmp_path / "wheels"
    index.mkdir()
    for (name, version), requires in WHEELS.items():
        _wheel(index, name, version, requires)
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    return index


def _check(tmp_path: Path, text: str, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    (tmp_path / "requirements.txt").write_text(text)
    argv = ["check", "--no-probe", "--python", "3.11", "-r", str(tmp_path / "requirements.txt"), *args]
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "-f", "json"])
    out = capsys.readouterr()
    return int(exit_info.value.code or 0), out.out, out.err


def _versions(out: str) -> dict[str, tuple[str, str | None]]:
    packages = json.loads(out)["environment"]["packages"]
    return {p["name"]: (p["version"], p.get("requested")) for p in packages}


def test_resolve_takes_pips_answer(
    local_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _check(tmp_path, "torch>=2.4\ntorchvision\nnumpy<2\n", "--resolve", capsys=capsys)
    assert code == 0
    assert _versions(out) == {
        "torch": ("2.5.0", "torch>=2.4"),  # what this index has, not the release data's newest
        "torchvision": ("0.20.0", "torchvision"),
        "numpy": ("1.26.4", "numpy<2"),  # pip knows numpy's releases; the offline data does not
    }


def test_without_the_flag_pip_is_not_asked(
    local_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = _check(tmp_path, "torch>=2.4\n", capsys=capsys)
    assert _versions(out)["torch"][0] != "2.5.0"  # the release data's newest, offline


def test_a_requirement_pip_cannot_meet_is_one_line(
    local_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _check(tmp_path, "torch>=3\n", "--resolve", capsys=capsys)
    assert code == 2
    assert "--resolve: pip could not resolve the requirements" in json.loads(out)["error"]["message"]
    assert "Traceback" not in err


def test_resolve_refuses_layering(
    local_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = _check(tmp_path, "torch>=2.4\n", "--resolve", "--onto-current", capsys=capsys)
    assert code == 2
