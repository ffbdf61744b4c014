"""The package's imports point down the pipeline and never go round in a circle.

probes -> compat -> checks -> sources -> audit -> formats -> CLI is the order data flows in; a
module may import from its own layer or any layer below, never above, and no two
modules may import each other (directly or through others). Every import counts,
including the lazy ones inside functions: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "compataudit"

# Lowest first. A module belongs to the layer of its longest matching prefix.
LAYERS: tuple[tuple[str, ...], ...] = (
    # foundation: plain values, names, errors, version parsing, styling, file I/O
    (
        "compataudit",
        "compataudit.errors",
        "compataudit.distributions",
        "compataudit.model",
        "compataudit.versions",
        "compataudit.options",
        "compataudit.rules",
        "compataudit.render",
        "compataudit.files",
        "compataudit.lifecycle",
        "compataudit.sanitise",
        "compataudit.smoke.kernels",  # run as scripts: they import nothing of ours above
        "compataudit.smoke.progress",
    ),
    # raw facts and the readers of input files
    ("compataudit.probes", "compataudit.inputs"),
    # the curated data and its typed views
    ("compataudit.compat",),
    # findings: from an environment, code, tracebacks, smoke runs
    ("compataudit.checks", "compataudit.smoke", "compataudit.doctor"),
    # where an Environment comes from: probe, snapshot, what-if, stack files
    ("compataudit.sources",),
    # the pipeline and what is planned from it
    ("compataudit.audit", "compataudit.plan", "compataudit.nox"),
    ("compataudit.formats",),
    # the command line
    ("compataudit.cli", "compataudit.__main__"),
)
# Cycles that are known and being removed; nothing may be added here.
KNOWN_CYCLES: frozenset[frozenset[str]] = frozenset()


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[str]:
    """The compataudit modules ``name`` imports, wherever the import statement is."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            subs = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES]
            # `from pkg import module` depends on that module; `from pkg import name` on pkg
            targets = subs if len(subs) == len(node.names) else [base, *subs]
        else:
            continue
        for target in targets:
            while target not in MODULES and "." in target:
                target = target.rpartition(".")[0]
            if target in MODULES and target != name:
                yield target


GRAPH = {name: set(_imports(name, path)) for name, path in MODULES.items()}


def layer(name: str) -> int:
    best, best_len = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    return best


def test_every_module_has_a_layer() -> None:
    assert [name for name in MODULES if layer(name) < 0] == []


def test_no_import_runs_up_the_layers() -> None:
    upward = sorted(
        f"{name} ({layer(name)}) imports {dep} ({layer(dep)})"
        for name, deps in GRAPH.items()
        for dep in deps
        if layer(dep) > layer(name)
    )
    assert upward == []


# Packages that share the checks' floor but never reach into them: each computes from an
# Environment (and the compat views) on its own terms; only the pipeline runs the checks.
CHECK_FREE = ("compataudit.inputs", "compataudit.smoke", "compataudit.doctor", "compataudit.probes")


def test_inputs_smoke_and_doctor_never_import_the_checks() -> None:
    reaching = sorted(
        f"{name} imports {dep}"
        for name, deps in GRAPH.items()
        if name.startswith(CHECK_FREE)
        for dep in deps
        if dep == "compataudit.checks" or dep.startswith("compataudit.checks.")
    )
    assert reaching == []


def _cycles() -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for dep in sorted(GRAPH[node]):
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = set()
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.add(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    assert [sorted(c) for c in _cycles()] == []


def test_the_checker_sees_a_cycle_and_an_upward_import() -> None:
    """The graph is real: known edges are found (so the tests above can fail)."""
    assert "compataudit.model" in GRAPH["compataudit.audit"]
    assert (
        layer("compataudit.cli.app") > layer("compataudit.formats.table") > layer("compataudit.checks.torch")
    )
    assert layer("compataudit.checks.torch") > layer("compataudit.compat.torch") > layer("compataudit.model")


def test_the_checker_catches_an_injected_cycle_and_upward_import(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = {name: set(deps) for name, deps in GRAPH.items()}
    # a probe that imports the CLI runs up the layers; the CLI imports probes already: a cycle
    graph["compataudit.probes.host"].add("compataudit.cli.app")
    monkeypatch.setattr(sys.modules[__name__], "GRAPH", graph)
    with pytest.raises(AssertionError, match=r"compataudit.probes.host \(1\) imports compataudit.cli.app"):
        test_no_import_runs_up_the_layers()
    with pytest.raises(AssertionError, match=r"compataudit\.cli\.app"):
        test_no_import_cycles()
