"""``compataudit lint``: static checks of model code, with :mod:`ast` only.

User code is parsed, never imported or executed. Every file is first reduced
to a compact summary (in parallel, cached by content hash: lint_run.py), then
the rules look at the whole tree of summaries, so that a base class or mixin
in another file of the walked tree counts (``from .base import Base``).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from compataudit.doctor import SYNTAX_ERROR, Problem, Skipped
from compataudit.doctor.cache import default_cache_dir, prune
from compataudit.doctor.classes import ClassIndex, KerasGeneration
from compataudit.doctor.lint_calls import check_conv_weight_shape, check_legacy_function_calls
from compataudit.doctor.lint_rules import CLASS_RULES, template_module
from compataudit.doctor.lint_run import default_jobs, summarize_all
from compataudit.doctor.resolve import Project, build_module
from compataudit.errors import CompatAuditError
from compataudit.model import Finding, Severity, reaches
from compataudit.rules import RULES

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        "build",
        "dist",
        "node_modules",
        "site-packages",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".eggs",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
    }
)
# The rules.py code for each lint kind (`check --code`): a lint kind is its rule's slug.
LINT_CODES = {r.slug: r.code for r in RULES if r.area == "code"}


@dataclass
class LintResult:
    """Everything one lint run found, plus the files it could not read."""

    problems: list[Problem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    files: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "problems": [p.to_json() for p in self.problems],
            "skipped": [s.to_json() for s in self.skipped],
        }

    def summary(self) -> str:
        """``12 file(s) linted: 1 error(s), 0 warning(s), 0 skipped``."""
        counts = {s: sum(1 for p in self.problems if p.severity is s) for s in Severity}
        return (
            f"{self.files} file(s) linted: {counts[Severity.ERROR]} error(s), "
            f"{counts[Severity.WARNING]} warning(s), {len(self.skipped)} skipped"
        )

    def exit_code(self, fail_on: str = "error") -> int:
        """1 when a problem is at or above ``fail_on`` ("never" disables), else 0."""
        return 1 if any(reaches(p.severity, fail_on) for p in self.problems) else 0


def _is_virtualenv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file() or (path / "conda-meta").is_dir()


def iter_python_files(root: Path) -> Iterator[Path]:
    """``*.py`` files under ``root``, skipping virtualenvs, VCS and build folders."""
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in SKIP_DIRS and not d.endswith(".egg-info") and not _is_virtualenv(here / d)
        )
        for name in sorted(filenames):
            if name.endswith(".py"):
                yield here / name


@functools.lru_cache(maxsize=4096)
def _package_prefix(directory: Path) -> list[str]:
    """The dotted package path of ``directory`` (``src/pkg/sub`` -> ``pkg.sub``)."""
    parts: list[str] = []
    here = directory.resolve()
    while (here / "__init__.py").is_file() and here.name and len(parts) < 50:
        parts.insert(0, here.name)
        here = here.parent
    return parts


def _module_name(root: Path, file: Path) -> tuple[str, bool]:
    """The importable dotted name of ``file``, so absolute imports resolve."""
    base = root if root.is_dir() else root.parent
    rel = [file.stem] if root == file else list(file.relative_to(root).with_suffix("").parts)
    parts = _package_prefix(base) + rel
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts) or root.resolve().name, is_package


def lint_paths(
    paths: Sequence[str],
    *,
    jobs: int | None = None,
    cache_dir: Path | bool | None = None,
    keras: KerasGeneration | None = None,
) -> LintResult:
    """Lint files and directories; CompatAuditError when a named path does not exist.

    ``jobs``: worker processes (None: one per core). ``cache_dir``: None for the user
    cache directory, False for no cache, or a directory. ``keras``: the Keras generations
    of the environment the code runs in (None: read from the import paths alone).
    """
    result = LintResult()
    work: list[tuple[Path, Path]] = []  # (root given, file)
    for raw in paths:
        root = Path(raw).expanduser()
        if not root.exists():
            raise CompatAuditError(f"lint: {raw}: no such file or directory")
        work.extend((root, f) for f in ([root] if root.is_file() else iter_python_files(root)))
    where = default_cache_dir() if cache_dir is None else (cache_dir or None)
    if isinstance(where, Path):
        prune(where)
    outcomes = summarize_all(
        [str(f) for _, f in work],
        jobs=jobs or default_jobs(),
        cache_dir=where if isinstance(where, Path) else None,
    )
    project = Project()
    for (root, file), (summary, why) in zip(work, outcomes, strict=True):
        shown = str(file)
        if summary is None:
            result.skipped.append(Skipped(shown, why or "unreadable"))
            continue
        result.files += 1
        if summary.error is not None:
            line, msg = summary.error
            result.problems.append(
                Problem(
                    SYNTAX_ERROR,
                    Severity.ERROR,
                    shown,
                    line,
                    "",
                    f"cannot parse: {msg}; the other files are still linted",
                    "Fix the syntax error (run `python -m py_compile FILE`).",
                )
            )
            continue
        name, is_package = _module_name(root, file)
        while name in project.modules:  # the same relative name under two roots
            name += "_"
        project.add(build_module(name, shown, summary, is_package=is_package))
    index = ClassIndex(project, keras)
    for facts in index.all_classes():
        if template_module(facts.module, index):
            continue
        for check in CLASS_RULES:
            result.problems.extend(check(facts, index))
        result.problems.extend(check_conv_weight_shape(facts, index))
    for mod in project.modules.values():
        if not template_module(mod, index):
            result.problems.extend(check_legacy_function_calls(mod, index))
    result.problems.sort(key=lambda p: (p.path, p.line, p.kind))
    return result


def lint_findings(paths: Sequence[str], keras: KerasGeneration | None = None) -> list[Finding]:
    """Lint problems as audit findings (codes LNT001...), for ``compataudit check --code``."""
    from compataudit.rules import finding

    result = lint_paths(paths, keras=keras)
    out = []
    for p in result.problems:
        where = f"{p.path}:{p.line}" + (f" ({p.symbol})" if p.symbol else "")
        out.append(
            finding(
                LINT_CODES[p.kind],
                f"{where}: {p.kind}",
                p.message,
                components=_components(p),
                fix=p.fix,
                severity=p.severity,
            )
        )
    return out


def _components(p: Problem) -> list[str]:
    if p.kind in {"missing-call", "missing-get-config"}:
        return ["keras"]
    if p.kind == "syntax-error":
        return ["python"]
    if p.kind == "missing-method" and "Dataset" not in p.message:
        return []
    if p.kind == "missing-super-init" and "Keras" in p.message:
        return ["keras"]
    return ["torch"]
