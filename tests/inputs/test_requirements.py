"""Requirements files as pip reads them (pip-requirements-parser), applied with markers."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from compataudit.cli.app import main
from compataudit.errors import InputError
from compataudit.inputs import read_stack_file
from compataudit.model import PlatformInfo, PythonInfo
from compataudit.options import EnvOptions
from compataudit.sources.whatif import apply_what_if, empty_environment

FIXTURES = Path(__file__).parent.parent / "fixtures" / "inputs"


def _pins(path: Path) -> dict[str, tuple[str, str]]:
    return {p.name: (p.version, p.where.rsplit(":", 1)[1]) for p in read_stack_file(str(path)).pins}


def _audited(*paths: Path, python: str = "3.11", system: str = "Linux") -> dict[str, str]:
    env = replace(empty_environment(), platform=PlatformInfo(system=system, machine="x86_64"))
    out = apply_what_if(env, EnvOptions(requirements=tuple(map(str, paths)), python=python, probe=False))
    return {p.name: p.version for p in out.packages}


def test_uv_export_with_hashes_and_continuations() -> None:
    """`uv export --format requirements-txt` output (recorded): hashes, `\\` lines, markers."""
    pins = _pins(FIXTURES / "uv-export-requirements.txt")
    assert pins["torch"] == ("2.5.1", "122")
    assert pins["torchvision"] == ("0.19.1", "130")
    assert len(pins) == 25  # every `name==version` line of the export


def test_markers_are_evaluated_against_the_audited_platform() -> None:
    linux = _audited(FIXTURES / "uv-export-requirements.txt")
    darwin = _audited(FIXTURES / "uv-export-requirements.txt", system="Darwin")
    assert "nvidia-cudnn-cu12" in linux
    assert "nvidia-cudnn-cu12" not in darwin


def test_bom_crlf_options_editables_and_urls(tmp_path: Path) -> None:
    (tmp_path / "req.txt").write_bytes(
        b"\xef\xbb\xbf# pinned for CI\r\n"
        b"--index-url https://download.pytorch.org/whl/cu124\r\n"
        b"torch==2.5.1+cu124 \\\r\n    --hash=sha256:abc\r\n"
        b'torchvision==0.19.0 ; sys_platform == "darwin"\r\n'
        b'torchvision==0.20.1 ; sys_platform == "linux"\r\n'
        b"-e git+https://github.com/example/tool.git#egg=tool\r\n"
        b"https://download.pytorch.org/whl/cu124/torchaudio-2.5.1%2Bcu124-cp311-cp311-linux_x86_64.whl\r\n"
        b"numpy>=1.26\r\n"
    )
    audited = _audited(tmp_path / "req.txt")
    # the --index-url is PyTorch's cu124 index: torchvision==0.20.1 comes from it as +cu124
    assert audited == {"torch": "2.5.1+cu124", "torchvision": "0.20.1+cu124", "torchaudio": "2.5.1+cu124"}
    stack = read_stack_file(str(tmp_path / "req.txt"))
    (note,) = stack.notes
    assert "1 requirement(s) without a name" in note and "req.txt:7" in note
    assert [(w.name, w.specifier) for w in stack.wants] == [("numpy", ">=1.26")]  # resolved when audited


def test_the_darwin_pin_wins_on_a_mac(tmp_path: Path) -> None:
    (tmp_path / "req.txt").write_text(
        'torchvision==0.19.0 ; sys_platform == "darwin"\ntorchvision==0.20.1 ; sys_platform == "linux"\n'
    )
    # torchvision 0.19.0 requires torch==2.4.0 (its Requires-Dist): a fresh environment gets it
    assert _audited(tmp_path / "req.txt", system="Darwin") == {"torchvision": "0.19.0", "torch": "2.4.0"}


def test_python_markers_use_the_audited_python(tmp_path: Path) -> None:
    (tmp_path / "req.txt").write_text(
        'numpy==1.26.4 ; python_version < "3.12"\nnumpy==2.1.0 ; python_version >= "3.12"\n'
    )
    assert _audited(tmp_path / "req.txt", python="3.12")["numpy"] == "2.1.0"
    assert _audited(tmp_path / "req.txt", python="3.10")["numpy"] == "1.26.4"


def test_nested_files_and_constraints(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "req.txt").write_text("-r sub/base.txt\n-c constraints.txt\nnumpy\n")
    (tmp_path / "sub" / "base.txt").write_text("torch==2.4.1\n")
    (tmp_path / "constraints.txt").write_text("numpy==1.26.4\njax==0.4.30\n")
    pins = _pins(tmp_path / "req.txt")
    # the constraint pins numpy (required) but adds no jax (nobody asks for it)
    assert pins == {"torch": ("2.4.1", "1"), "numpy": ("1.26.4", "1")}
    wheres = {p.name: p.where for p in read_stack_file(str(tmp_path / "req.txt")).pins}
    assert wheres["torch"].endswith("sub/base.txt:1")


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"req.txt": "-r req.txt\n"},
            r"req\.txt:1: requirements files include each other: "
            r"req\.txt → req\.txt",
        ),
        (
            {"req.txt": "-r a.txt\n", "a.txt": "-r b.txt\n", "b.txt": "-c a.txt\n"},
            r"b\.txt:1: .*a\.txt → b\.txt → a\.txt",
        ),
        ({"req.txt": "-r missing.txt\n"}, r"req\.txt:1: cannot read requirements file"),
        ({"req.txt": "torch==2.4.1\nthis is not a requirement!\n"}, r"req\.txt:2: .*not a requirement"),
        ({"req.txt": "-r https://example.com/r.txt\n"}, "never uses the network"),
        ({"req.txt": "torch==2.4.1\ntorch==2.5.1\n"}, r"req\.txt:2: torch==2\.5\.1 conflicts"),
    ],
)
def test_malformed_input_is_one_clear_error(tmp_path: Path, files: dict[str, str], message: str) -> None:
    for name, body in files.items():
        (tmp_path / name).write_text(body)
    with pytest.raises(InputError, match=message):
        _audited(tmp_path / "req.txt")


def test_unreadable_file() -> None:
    with pytest.raises(InputError, match="no such file"):
        read_stack_file("/nonexistent/requirements.txt")


def test_cli_error_is_exit_2_with_a_json_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "req.txt").write_text("-r req.txt\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--no-probe", "-r", str(tmp_path / "req.txt"), "-f", "json"])
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    assert "include each other" in json.loads(out)["error"]["message"]
    assert err.count("\n") == 1 and "Traceback" not in err


def test_annotations_point_at_the_pin(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(FIXTURES / "uv-export-requirements.txt")
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--no-probe", "--python", "3.11", "-r", path, "-f", "github"])
    assert exit_info.value.code == 1
    line = next(x for x in capsys.readouterr().out.splitlines() if "TCH001" in x)
    assert "uv-export-requirements.txt,line=122::" in line


def test_python_info_keeps_the_implementation() -> None:
    env = replace(empty_environment(), python=PythonInfo(version="3.10.0", implementation="PyPy"))
    out = apply_what_if(env, EnvOptions(python="3.11", probe=False))
    assert out.python.implementation == "PyPy"


def test_pytorch_index_in_a_requirements_file(tmp_path: Path) -> None:
    (tmp_path / "req.txt").write_text(
        "--extra-index-url https://download.pytorch.org/whl/cu121\ntorch==2.4.1\ntorchvision==0.19.1\nnumpy==1.26.4\n"
    )
    assert _audited(tmp_path / "req.txt") == {
        "torch": "2.4.1+cu121",
        "torchvision": "0.19.1+cu121",
        "numpy": "1.26.4",
    }
