"""``compataudit lint``: every rule, every false-alarm trap, the seed examples.

Rule fixtures mark each expected problem with a ``# expect: KIND`` comment on
the line it must be reported at; the trap fixtures carry no marker, so any
problem there is a false alarm.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from compataudit.doctor.lint import LINT_CODES, lint_findings, lint_paths
from compataudit.errors import CompatAuditError
from compataudit.formats.lint import render_json
from compataudit.model import Severity
from compataudit.rules import rule

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lint"
_EXPECT = re.compile(r"#\s*expect:\s*([a-z-]+(?:,\s*[a-z-]+)*)")


def expected_markers(path: Path) -> set[tuple[str, int, str]]:
    out: set[tuple[str, int, str]] = set()
    for lineno, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        m = _EXPECT.search(text)
        if m:
            out.update((str(path), lineno, kind.strip()) for kind in m.group(1).split(","))
    return out


def found(paths: list[Path]) -> set[tuple[str, int, str]]:
    result = lint_paths([str(p) for p in paths])
    return {(p.path, p.line, p.kind) for p in result.problems}


RULE_FILES = sorted((FIXTURES / "rules").glob("*.py"))
TRAP_FILES = sorted((FIXTURES / "traps").glob("*.py"))


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.stem)
def test_rule_fixture_reports_exactly_the_marked_lines(path: Path) -> None:
    assert expected_markers(path), "a rule fixture must mark what it expects"
    assert found([path]) == expected_markers(path)


@pytest.mark.parametrize("path", TRAP_FILES, ids=lambda p: p.stem)
def test_trap_fixture_raises_no_false_alarm(path: Path) -> None:
    result = lint_paths([str(path)])
    assert result.problems == []
    assert result.files == 1


def test_every_lint_kind_has_a_rule_fixture() -> None:
    kinds = {kind for path in RULE_FILES for _, _, kind in expected_markers(path)}
    assert kinds == set(LINT_CODES)


def test_cross_file_bases_are_resolved_inside_the_walked_tree() -> None:
    root = FIXTURES / "crossfile"
    expected = set().union(*(expected_markers(p) for p in root.rglob("*.py")))
    assert found([root]) == expected
    assert {kind for _, _, kind in expected} == {"missing-forward"}


# --------------------------------------------------------------------------- the seed question

SEED = FIXTURES / "seed"


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, text in enumerate(lines, 1) if needle in text)


def test_seed_example_1_missing_call_at_the_class_line() -> None:
    path = SEED / "example1.py"
    result = lint_paths([str(path)])
    errors = {(p.line, p.kind, p.symbol) for p in result.problems if p.severity is Severity.ERROR}
    assert errors == {(_line_of(path, "class MyCustomLayer"), "missing-call", "MyCustomLayer")}
    # The layer takes `filters` and has no get_config: a save would fail too.
    warnings = {(p.line, p.kind) for p in result.problems if p.severity is Severity.WARNING}
    assert warnings == {(_line_of(path, "def __init__(self, filters)"), "missing-get-config")}


def test_seed_example_2_has_forward_but_a_2d_conv_weight() -> None:
    # It defines forward and calls super().__init__(): no missing-forward and no
    # missing-super-init. The real bug is torch.conv2d with a 2-D weight
    # (torch 2.13: "weight should have at least three dimensions").
    path = SEED / "example2.py"
    result = lint_paths([str(path)])
    assert [(p.line, p.kind) for p in result.problems] == [
        (_line_of(path, "return torch.conv2d(x, self.weight)"), "conv-weight-shape")
    ]
    assert f"line {_line_of(path, 'nn.Parameter(torch.randn(3,3))')}" in result.problems[0].message


def test_seed_example_3_missing_backward_at_the_class_line() -> None:
    path = SEED / "example3.py"
    result = lint_paths([str(path)])
    assert [(p.line, p.kind, p.symbol) for p in result.problems] == [
        (_line_of(path, "class MyCustomFunction"), "missing-backward", "MyCustomFunction")
    ]


# --------------------------------------------------------------------------- safety and input handling


def test_linted_code_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed.txt"
    source = tmp_path / "side_effects.py"
    source.write_text(
        "import pathlib\n"
        f"pathlib.Path({str(marker)!r}).write_text('ran')\n"
        "import torch.nn as nn\n"
        "class Net(nn.Module):\n"
        f"    pathlib.Path({str(marker)!r}).write_text('class body ran')\n"
        "Net()(1)\n",
        encoding="utf-8",
    )
    result = lint_paths([str(tmp_path)])
    assert not marker.exists()
    assert [(p.kind, p.symbol) for p in result.problems] == [("missing-forward", "Net")]


def test_walk_skips_virtualenvs_vcs_and_build_folders(tmp_path: Path) -> None:
    bad = "import torch.nn as nn\nclass Bad(nn.Module):\n    pass\nBad()(1)\n"
    for folder in (".git", "__pycache__", "build", "dist", "node_modules", "site-packages", "venv_custom"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "m.py").write_text(bad, encoding="utf-8")
    (tmp_path / "venv_custom" / "pyvenv.cfg").write_text("home = /usr\n", encoding="utf-8")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "m.py").write_text(bad, encoding="utf-8")
    result = lint_paths([str(tmp_path)])
    assert [Path(p.path).relative_to(tmp_path).as_posix() for p in result.problems] == ["src/m.py"]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("binary.py", b"\x00\x01\x02torch", "binary file"),
        ("latin1.py", "x = 'caf\xe9'\n".encode("latin-1"), "not UTF-8 text"),
        ("huge.py", b"#" * (2 * 1024 * 1024 + 1), "larger than 2 MB"),
    ],
)
def test_unreadable_files_are_skipped_with_a_note(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    (tmp_path / name).write_bytes(content)
    (tmp_path / "ok.py").write_text(
        "import torch.nn as nn\nclass A(nn.Module):\n    pass\nA()(1)\n", encoding="utf-8"
    )
    result = lint_paths([str(tmp_path)])
    assert [s.reason.split(" (")[0] for s in result.skipped] == [reason]
    assert [p.symbol for p in result.problems] == ["A"]  # the other files are still linted


def test_a_syntax_error_does_not_stop_the_other_files(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def f(:\n", encoding="utf-8")
    (tmp_path / "b.py").write_text(
        "import torch.nn as nn\nclass B(nn.Module):\n    pass\nB()(1)\n", encoding="utf-8"
    )
    kinds = [(Path(p.path).name, p.kind) for p in lint_paths([str(tmp_path)]).problems]
    assert kinds == [("a.py", "syntax-error"), ("b.py", "missing-forward")]


def test_a_missing_path_is_a_usage_error() -> None:
    with pytest.raises(CompatAuditError, match="no such file"):
        lint_paths(["/nonexistent/model.py"])


@pytest.mark.parametrize(("fail_on", "code"), [("error", 0), ("warning", 1), ("never", 0)])
def test_exit_code_follows_fail_on(fail_on: str, code: int) -> None:
    # keras_layers.py minus its errors: only the get_config warning would remain,
    # so use a file holding just that pattern.
    result = lint_paths([str(FIXTURES / "rules" / "keras_layers.py")])
    result.problems = [p for p in result.problems if p.severity is Severity.WARNING]
    assert result.exit_code(fail_on) == code


def test_json_output_shape() -> None:
    payload = json.loads(render_json(lint_paths([str(SEED / "example3.py")])))
    assert set(payload) == {"problems", "skipped"}
    (problem,) = payload["problems"]
    assert set(problem) == {"kind", "severity", "path", "line", "symbol", "message", "fix"}
    assert (problem["kind"], problem["severity"]) == ("missing-backward", "error")


def test_lint_findings_use_the_lnt_codes() -> None:
    findings = lint_findings([str(SEED)])
    by_code = {f.code: f for f in findings}
    assert set(by_code) == {"LNT002", "LNT005", "LNT009", "LNT003"}
    assert by_code["LNT003"].components == ("torch",)
    assert by_code["LNT002"].components == ("keras",)
    assert by_code["LNT005"].severity is Severity.WARNING
    for code in by_code:
        assert rule(code).area == "code"


def test_pointing_at_the_package_itself_resolves_absolute_imports() -> None:
    pkg = FIXTURES / "crossfile" / "pkg"
    assert found([pkg]) == set().union(*(expected_markers(p) for p in pkg.glob("*.py")))


_NO_FORWARD = "import torch.nn as nn\nclass Net(nn.Module):\n    pass\n"


def test_a_module_never_called_is_a_holder_not_a_problem(tmp_path: Path) -> None:
    # A holder (quantizer, codebook, buffer list) whose other methods are used.
    (tmp_path / "model.py").write_text(
        _NO_FORWARD + "    def encode(self, x):\n        return x\nNet().encode(1)\n", encoding="utf-8"
    )
    assert lint_paths([str(tmp_path)]).problems == []


@pytest.mark.parametrize(
    ("usage", "severity"),
    [
        ("model = Net()\nmodel(1)\n", Severity.ERROR),
        ("Net()(1)\n", Severity.ERROR),
        ("seq = nn.Sequential(Net(), nn.ReLU())\n", Severity.ERROR),
        ("blocks = nn.ModuleList([Net() for _ in range(3)])\n", Severity.ERROR),
        (
            "class Outer(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
            "        self.body = Net()\n    def forward(self, x):\n        return self.body(x)\n",
            Severity.ERROR,
        ),
    ],
    ids=["bound-then-called", "called-inline", "in-sequential", "in-modulelist", "submodule-called"],
)
def test_missing_forward_is_an_error_once_the_module_is_called(
    tmp_path: Path, usage: str, severity: Severity
) -> None:
    (tmp_path / "model.py").write_text(_NO_FORWARD + usage, encoding="utf-8")
    problems = [p for p in lint_paths([str(tmp_path)]).problems if p.symbol == "Net"]
    assert [(p.kind, p.severity) for p in problems] == [("missing-forward", severity)]


ODD_SOURCES = {
    "starred_base": "import torch.nn as nn\nbases = (nn.Module,)\nclass A(*bases):\n    pass\n",
    "call_base": "import torch.nn as nn\ndef make():\n    return nn.Module\nclass A(make()):\n    pass\n",
    "subscript_base": "from typing import Generic, TypeVar\nimport torch.nn as nn\nT = TypeVar('T')\n"
    "class A(nn.Module, Generic[T]):\n    def forward(self, x):\n        return x\n",
    "self_cycle": "from m import B\nclass A(B):\n    pass\nclass B(A):\n    pass\n",
    "relative_beyond_top": "from ....x import Base\nclass A(Base):\n    pass\n",
    "star_import": "from torch.nn import *\nclass A(Module):\n    pass\n",
    "class_in_function": "import torch.nn as nn\ndef f():\n    class A(nn.Module):\n"
    "        pass\n    return A\n",
    "empty": "",
    "deep_nesting": "x = " + "(" * 300 + "1" + ")" * 300 + "\n",
}


@pytest.mark.parametrize("source", ODD_SOURCES.values(), ids=ODD_SOURCES.keys())
def test_odd_code_never_raises_and_never_guesses(tmp_path: Path, source: str) -> None:
    (tmp_path / "m.py").write_text(source, encoding="utf-8")
    result = lint_paths([str(tmp_path)])
    # Nothing here can be judged with certainty: at most a parse problem or a note.
    assert all(p.kind == "syntax-error" for p in result.problems)


# --------------------------------------------------------------------------- false-alarm families

MODULAR = FIXTURES / "modular"


def test_transformers_modular_templates_are_not_linted(tmp_path: Path) -> None:
    assert lint_paths([str(MODULAR)]).problems == []
    # The same class shape outside a template, with no generated sibling, is judged.
    copy = tmp_path / "mini.py"
    copy.write_text(
        (MODULAR / "models" / "mini" / "modular_mini.py")
        .read_text(encoding="utf-8")
        .replace("from ..llama.modeling_llama import LlamaMLP", "LlamaMLP = object"),
        encoding="utf-8",
    )
    # Every kind is skipped in a template, not only the "missing X" ones.
    assert sorted((p.kind, p.symbol) for p in lint_paths([str(copy)]).problems) == [
        ("missing-forward", "MiniNorm"),
        ("missing-super-init", "MiniRotary"),
        ("non-static-autograd", "MiniRound"),
        ("non-static-autograd", "MiniRound"),
        ("non-static-autograd", "MiniRound"),
    ]


def test_a_function_applied_only_without_gradients_is_a_warning(tmp_path: Path) -> None:
    source = (
        "import torch\n"
        "class Quantize(torch.autograd.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x):\n"
        "        return x.round()\n"
        "@torch.no_grad()\n"
        "def export(x):\n"
        "    return Quantize.apply(x)\n"
        "def infer(x):\n"
        "    with torch.inference_mode():\n"
        "        return Quantize.apply(x)\n"
    )
    (tmp_path / "q.py").write_text(source, encoding="utf-8")
    problems = lint_paths([str(tmp_path)]).problems
    assert [(p.kind, p.severity) for p in problems] == [("missing-backward", Severity.WARNING)]
    # One application where gradients flow makes it an error again.
    (tmp_path / "q.py").write_text(source + "def train(x):\n    return Quantize.apply(x)\n", encoding="utf-8")
    problems = lint_paths([str(tmp_path)]).problems
    assert [(p.kind, p.severity) for p in problems] == [("missing-backward", Severity.ERROR)]


@pytest.mark.parametrize(
    ("usage", "severity"),
    [
        ("", None),  # fit() runs train_step only
        ("m.predict([[0.0]])\n", Severity.WARNING),
        ("m.save('m.keras')\n", Severity.WARNING),
        ("m.fit([[0.0]], validation_data=[[0.0]])\n", Severity.WARNING),
        ("m([[0.0]])\n", Severity.WARNING),
    ],
    ids=["fit-only", "predict", "save", "fit-with-validation", "called"],
)
def test_a_train_step_model_without_call_is_at_most_a_hint(
    tmp_path: Path, usage: str, severity: Severity | None
) -> None:
    source = (
        "import keras\n"
        "class Trainer(keras.Model):\n"
        "    def train_step(self, data):\n"
        "        return {}\n"
        "m = Trainer()\n"
        "m.fit([[0.0]])\n"
    )
    (tmp_path / "t.py").write_text(source + usage, encoding="utf-8")
    got = [(p.kind, p.severity) for p in lint_paths([str(tmp_path)]).problems]
    assert got == ([] if severity is None else [("missing-call", severity)])


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "import keras\nclass L(keras.layers.Layer):\n    def __init__(self, units):\n"
            "        super().__init__()\n        self.units = units\n    def call(self, x):\n"
            "        return x\nL(4)\n",
            [],
        ),
        (
            "import keras\nclass L(keras.layers.Layer):\n    def __init__(self, inner):\n"
            "        super().__init__()\n        self.inner = inner\n    def call(self, x):\n"
            "        return self.inner(x)\nL(keras.layers.Dense(3))\n",
            ["missing-get-config"],
        ),
        (
            "import tf_keras\nclass L(tf_keras.layers.Layer):\n    def __init__(self, units):\n"
            "        super().__init__()\n        self.units = units\n    def call(self, x):\n"
            "        return x\n",
            ["missing-get-config"],
        ),
    ],
    ids=["keras3-plain-args", "keras3-layer-arg", "keras2"],
)
def test_get_config_is_needed_for_keras2_and_non_plain_arguments(
    tmp_path: Path, source: str, expected: list[str]
) -> None:
    (tmp_path / "l.py").write_text(source, encoding="utf-8")
    assert [p.kind for p in lint_paths([str(tmp_path)]).problems] == expected


def test_lint_json_matches_the_schema_and_its_kinds() -> None:
    import jsonschema

    from compataudit.formats.schema import load_schema

    schema = load_schema()
    document = {"$ref": "#/$defs/lint_document", "$defs": schema["$defs"]}
    validator = jsonschema.Draft202012Validator(document)
    for root in (FIXTURES / "rules", FIXTURES / "recall", SEED):
        validator.validate(json.loads(render_json(lint_paths([str(root)]))))
    assert set(schema["$defs"]["lint_kind"]["enum"]) == set(LINT_CODES)


def test_a_passed_in_module_assigned_early_is_an_error_only_with_its_annotation() -> None:
    result = lint_paths([str(FIXTURES / "rules" / "missing_super_init.py")])
    severities = {p.symbol: p.severity for p in result.problems}
    assert severities["HoldsEncoder"] is Severity.ERROR
    assert severities["HoldsBackboneByName"] is Severity.WARNING
    assert "PlainValueFirst" not in severities
