"""The ``lint`` and ``explain`` commands: options, output formats, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from compataudit.cli.commands.doctor import register

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SEED = FIXTURES / "lint" / "seed"
TRACEBACKS = FIXTURES / "tracebacks"


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    register(application)
    return application


def invoke(
    app: typer.Typer, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=stdin, env=env)
    return result.exit_code, result.stdout, result.stderr


# --------------------------------------------------------------------------- lint


def test_lint_no_cache_leaves_the_cache_dir_alone(app: typer.Typer, tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    code, out, _ = invoke(app, "lint", str(SEED), "--no-cache", "-f", "json", env=env)
    assert code == 1 and json.loads(out)["problems"]
    assert list(tmp_path.iterdir()) == []
    assert invoke(app, "lint", str(SEED), "-f", "json", env=env)[1] == out  # cached: same answer
    assert list((tmp_path / "compataudit" / "lint").rglob("*.json"))


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((str(SEED),), 1),
        ((str(SEED), "--fail-on", "never"), 0),
        ((str(SEED / "example1.py"), "--fail-on", "warning"), 1),
        ((str(FIXTURES / "lint" / "traps"),), 0),
        (("/nonexistent/dir",), 2),
        ((str(SEED), "--fail-on", "sometimes"), 2),
        ((str(SEED), "--jobs", "2", "--no-cache"), 1),
        ((str(SEED), "--jobs", "0"), 2),
        ((str(SEED), "-j", "many"), 2),
    ],
)
def test_lint_exit_codes(app: typer.Typer, args: tuple[str, ...], code: int) -> None:
    assert invoke(app, "lint", *args)[0] == code


def test_lint_json(app: typer.Typer) -> None:
    # --no-probe: tf.keras is Keras 2 whatever this machine has installed (with Keras 3,
    # plain constructor arguments need no get_config).
    code, out, _ = invoke(app, "lint", str(SEED), "--format", "json", "--no-probe")
    payload = json.loads(out)
    assert code == 1
    assert sorted(p["kind"] for p in payload["problems"]) == [
        "conv-weight-shape",
        "missing-backward",
        "missing-call",
        "missing-get-config",
    ]


def test_lint_missing_path_is_one_line_on_stderr(app: typer.Typer) -> None:
    code, out, err = invoke(app, "lint", "/nonexistent/dir")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("compataudit: error:")


@pytest.mark.parametrize(
    ("env", "colored"), [({"NO_COLOR": "1"}, False), ({"FORCE_COLOR": "1", "NO_COLOR": ""}, True)]
)
def test_lint_table_colour(app: typer.Typer, env: dict[str, str], colored: bool) -> None:
    _, out, _ = invoke(app, "lint", str(SEED / "example3.py"), env=env)
    assert "missing-backward MyCustomFunction" in out
    assert ("\033[" in out) is colored


def test_lint_writes_the_output_file(app: typer.Typer, tmp_path: Path) -> None:
    target = tmp_path / "lint.json"
    code, out, _ = invoke(app, "lint", str(SEED / "example3.py"), "-f", "json", "-o", str(target))
    assert (code, out) == (1, "")
    assert json.loads(target.read_text())["problems"][0]["kind"] == "missing-backward"


# --------------------------------------------------------------------------- explain


def test_explain_file_json(app: typer.Typer) -> None:
    code, out, _ = invoke(
        app, "explain", str(TRACEBACKS / "t12_dispatcher_torchvision_nms.txt"), "--no-probe", "-f", "json"
    )
    (diag,) = json.loads(out)["diagnoses"]
    assert code == 0
    assert {"kind", "confidence", "summary", "evidence", "fix", "components"} <= set(diag)
    assert diag["kind"] == "torch-extension-mismatch"


def test_explain_reads_stdin(app: typer.Typer) -> None:
    text = (TRACEBACKS / "rec_torch_missing_forward.txt").read_text()
    code, out, _ = invoke(app, "explain", "-", "--no-probe", stdin=text)
    assert code == 0 and "missing-forward" in out


def test_explain_without_a_known_signature_is_not_a_failure(app: typer.Typer) -> None:
    code, out, err = invoke(app, "explain", "-", "--no-probe", "-f", "json", stdin="all good\n")
    assert (code, json.loads(out)) == (0, {"diagnoses": []})
    assert "no known error signature" in err


def test_explain_unreadable_input_exits_2(app: typer.Typer, tmp_path: Path) -> None:
    assert invoke(app, "explain", str(tmp_path / "missing.txt"), "--no-probe")[0] == 2
    assert invoke(app, "explain", str(tmp_path), "--no-probe")[0] == 2  # a directory


def test_explain_file_tolerates_non_utf8_bytes_like_stdin(app: typer.Typer, tmp_path: Path) -> None:
    # A traceback saved by a Latin-1 terminal: one odd byte must not lose the diagnosis.
    text = (TRACEBACKS / "t17_not_compiled_with_cuda.txt").read_bytes() + b"\n# caf\xe9 \xff\xfe\n"
    pasted = tmp_path / "err.txt"
    pasted.write_bytes(text)
    code, out, _ = invoke(app, "explain", str(pasted), "--no-probe", "-f", "json")
    from_stdin = invoke(app, "explain", "-", "--no-probe", "-f", "json", stdin=text.decode("latin-1"))
    assert code == 0 and json.loads(out)["diagnoses"]
    assert json.loads(out) == json.loads(from_stdin[1])


def test_explain_cross_checks_a_what_if_environment(app: typer.Typer) -> None:
    path = str(TRACEBACKS / "t17_not_compiled_with_cuda.txt")
    _, bare, _ = invoke(app, "explain", path, "--no-probe", "-f", "json")
    _, pinned, _ = invoke(app, "explain", path, "--no-probe", "--pin", "torch==2.5.1+cpu", "-f", "json")
    before, after = json.loads(bare)["diagnoses"][0], json.loads(pinned)["diagnoses"][0]
    assert after["confidence"] > before["confidence"]
    assert "environment: torch 2.5.1+cpu is a CPU-only build" in after["evidence"]


@pytest.mark.parametrize(
    ("fixture", "pin", "kind", "evidence"),
    [
        ("n44_deformable_detr_not_on_cpu.txt", "torch==2.5.1+cpu", "cuda-only-extension-op", "cannot run on"),
        ("n05_keras3_savedmodel_traceback.txt", "keras==3.3.3", "keras-version-mix", "is Keras 3"),
    ],
)
def test_new_kinds_are_cross_checked_with_a_what_if_environment(
    app: typer.Typer, fixture: str, pin: str, kind: str, evidence: str
) -> None:
    code, out, _ = invoke(app, "explain", str(TRACEBACKS / fixture), "--no-probe", "--pin", pin, "-f", "json")
    top = json.loads(out)["diagnoses"][0]
    assert code == 0 and top["kind"] == kind
    assert any(evidence in e for e in top["evidence"])
