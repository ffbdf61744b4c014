"""``fleet PATH...``: many nodes' snapshots or reports, grouped by the stack they run.

One pass over the files, streaming: each file is parsed, reduced to a
fingerprint (Python minor, OS, driver, GPUs, stack package versions with their
build variants, what each framework was built for) and dropped. Only one full
:class:`~compataudit.model.Environment` per *group* is kept, and the checks run
once per group. Building an Environment costs ~10x more than reading the JSON,
so the fingerprint is read from the JSON directly, with the fields it uses
type-checked; the first node of each group is also validated in full.

A file that cannot be read or parsed is counted and named, never fatal.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compataudit.distributions import canonical_name
from compataudit.errors import InputError
from compataudit.model import Environment, Finding, to_jsonable
from compataudit.plan import parse_document
from compataudit.plan.diff import TIER_RUNTIME, Change, compare_facts, package_tier
from compataudit.render import table
from compataudit.versions import minor_of

Checker = Callable[[Environment], Sequence[Finding]]
_GLOB_CHARS = frozenset("*?[")
_REDACTED_HOSTS = frozenset({"", "<host>", "localhost"})


class _Bad(ValueError):
    """A file whose content does not fit a snapshot or report."""


@dataclass
class Group:
    """Nodes sharing one fingerprint."""

    key: tuple[tuple[str, str], ...]
    env: Environment  # the first node's environment: checks run on it once
    nodes: list[tuple[str | None, str]] = field(default_factory=list)  # (hostname, file)
    findings: tuple[Finding, ...] = ()

    @property
    def stack(self) -> dict[str, str]:
        return dict(self.key)

    @property
    def fingerprint(self) -> str:
        """A short stable id of the stack (same stack, same id, on every run)."""
        text = json.dumps(self.key, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Outlier:
    node: str
    file: str
    group: str  # fingerprint of its group
    differences: tuple[Change, ...]


@dataclass
class FleetResult:
    nodes: int
    groups: list[Group]  # largest first; groups[0] is the majority stack
    outliers: list[Outlier]
    corrupt: list[tuple[str, str]]  # (file, why)

    def to_json(self) -> dict[str, Any]:
        names = _node_names(self.groups)
        return {
            "nodes": self.nodes,
            "majority": self.groups[0].fingerprint if self.groups else None,
            "groups": [
                {
                    "fingerprint": g.fingerprint,
                    "nodes": len(g.nodes),
                    "share": round(len(g.nodes) / self.nodes, 4) if self.nodes else 0.0,
                    "stack": g.stack,
                    "members": [names[(h, f)] for h, f in g.nodes],
                    "findings": to_jsonable(g.findings),
                }
                for g in self.groups
            ],
            "outliers": [
                {
                    "node": o.node,
                    "file": o.file,
                    "group": o.group,
                    "differences": [c.to_json() for c in o.differences],
                }
                for o in self.outliers
            ],
            "corrupt": [{"file": f, "error": why} for f, why in self.corrupt],
        }


def iter_input_files(paths: Iterable[str]) -> Iterator[tuple[str, str | None]]:
    """(file, None) for every JSON file named, found under a directory or matched by a glob;
    (argument, why) for one that names nothing. Each file once, in a stable order."""
    seen: set[str] = set()
    for arg in paths:
        if any(ch in _GLOB_CHARS for ch in arg):
            candidates = sorted(glob.glob(arg, recursive=True))  # noqa: PTH207 - user patterns
            if not candidates:
                yield arg, "no files match this pattern"
        else:
            candidates = [arg]
        for cand in candidates:
            p = Path(cand)
            if p.is_dir():
                files: Iterable[Path] = sorted(x for x in p.rglob("*.json") if x.is_file())
            elif p.exists():
                files = (p,)
            else:
                yield cand, "no such file or directory"
                continue
            for f in files:
                key = str(f)
                if key not in seen:
                    seen.add(key)
                    yield key, None


def stack_fingerprint(data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The sorted (component, value) pairs that define a node's stack, read from snapshot JSON."""
    py, plat, nv = _obj(data, "python"), _obj(data, "platform"), _obj(data, "nvidia", True)
    items: dict[str, str] = {
        "python": minor_of(_str(py, "version")) or _str(py, "version"),
        "os": f"{_str(plat, 'system')} {_str(plat, 'machine')}",
    }
    driver = _str(nv, "driver_version", True)
    if driver:
        items["nvidia-driver"] = driver
    gpus = Counter(
        f"{_str(g, 'name')} (cc {_str(g, 'compute_capability', True) or '?'})" for g in _list(nv, "gpus")
    )
    if gpus:
        items["gpu"] = ", ".join(f"{n}x {k}" for k, n in sorted(gpus.items()))
    for pkg in _list(data, "packages"):
        name = _stack_name(_str(pkg, "name"))
        if name is not None:
            items[name] = _str(pkg, "version")
    raw_builds = data.get("builds")
    # Keyed by framework in snapshots since schema 1's final form; a list in early ones.
    builds = list(raw_builds.values()) if isinstance(raw_builds, Mapping) else _list(data, "builds")
    for build in builds:
        cuda, hip = _str(build, "cuda", True), _str(build, "hip", True)
        value = f"ROCm {hip}" if hip else f"CUDA {cuda}" if cuda else "CPU"
        items[f"{_str(build, 'framework')} build"] = value
    return tuple(sorted(items.items()))


@functools.lru_cache(maxsize=16384)
def _stack_name(raw: str) -> str | None:
    """The canonical name of a stack package, None for a leaf one (cached: names repeat)."""
    name = canonical_name(raw)
    return name if package_tier(name) <= TIER_RUNTIME else None


def _obj(data: Mapping[str, Any], key: str, optional: bool = False) -> Mapping[str, Any]:
    value = data.get(key)
    if value is None and optional:
        return {}
    if not isinstance(value, Mapping):
        raise _Bad(f"'{key}' must be an object")
    return value


def _list(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise _Bad(f"'{key}' must be a list of objects")
    return value


def _str(data: Mapping[str, Any], key: str, optional: bool = False) -> str:
    value = data.get(key)
    if value is None and optional:
        return ""
    if not isinstance(value, str):
        raise _Bad(f"'{key}' must be a string")
    return value


def _read(path: str) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """(the whole document, its environment part); _Bad or OSError when unusable."""
    from compataudit.errors import CompatAuditError
    from compataudit.files import read_limited

    try:  # bounded: a FIFO member is read within a time limit, a device refused
        raw = read_limited(path, "member")
    except CompatAuditError as exc:
        raise _Bad(str(exc).removeprefix(f"member {path}: ")) from None
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _Bad(f"not JSON: {exc}") from None
    except RecursionError:
        raise _Bad("JSON nested too deeply") from None
    if not isinstance(data, Mapping):
        raise _Bad("not a JSON object")
    env = data.get("environment") if "environment" in data else data
    if not isinstance(env, Mapping) or "python" not in env:
        raise _Bad("not a snapshot or report")
    from compataudit.snapshot import schema_problem

    problem = schema_problem(data)  # every member, not only the first of its stack
    if problem is not None:
        raise _Bad(problem)
    return data, env


def aggregate(paths: Iterable[str], checker: Checker | None = None) -> FleetResult:
    """Group every node found under ``paths`` by stack; run ``checker`` once per group."""
    groups: dict[tuple[tuple[str, str], ...], Group] = {}
    corrupt: list[tuple[str, str]] = []
    nodes = 0
    for path, problem in iter_input_files(paths):
        if problem:
            corrupt.append((path, problem))
            continue
        try:
            data, env_data = _read(path)
            key = stack_fingerprint(env_data)
            group = groups.get(key)
            if group is None:  # first of its kind: validate fully, keep as the representative
                env, _ = parse_document(data, path)
                group = groups[key] = Group(key=key, env=env)
        except _Bad as exc:
            corrupt.append((path, str(exc)))
            continue
        except InputError as exc:
            corrupt.append((path, str(exc).removeprefix(f"{path}: ")))
            continue
        except OSError as exc:
            corrupt.append((path, exc.strerror or str(exc)))
            continue
        hostname = env_data["platform"].get("hostname")
        group.nodes.append((hostname if isinstance(hostname, str) else None, path))
        nodes += 1
    ordered = sorted(groups.values(), key=lambda g: -len(g.nodes))  # stable: first seen wins ties
    if checker is not None:
        for g in ordered:
            g.findings = tuple(checker(g.env))
    return FleetResult(nodes, ordered, _outliers(ordered), corrupt)


def _outliers(groups: list[Group]) -> list[Outlier]:
    if len(groups) < 2:
        return []
    names = _node_names(groups)
    majority = groups[0].stack
    out: list[Outlier] = []
    for g in groups[1:]:
        # One comparison per group, shared by its nodes: linear in nodes, not quadratic.
        changes = tuple(
            compare_facts({k: (0, v) for k, v in majority.items()}, {k: (0, v) for k, v in g.stack.items()})
        )
        out.extend(Outlier(names[(h, f)], f, g.fingerprint, changes) for h, f in g.nodes)
    return out


def _node_names(groups: list[Group]) -> dict[tuple[str | None, str], str]:
    """Hostname where it names one node; the file where hostnames repeat or were redacted."""
    counts = Counter(h for g in groups for h, _ in g.nodes)
    return {
        (h, f): h if h and h not in _REDACTED_HOSTS and counts[h] == 1 else f
        for g in groups
        for h, f in g.nodes
    }


def default_checker(matrices_dir: str | None = None) -> Checker:
    """Run every check against the matrices (loaded once) for each group's environment."""
    from compataudit.checks import CheckContext, run_checks
    from compataudit.matrices import load_matrices

    matrices = load_matrices(matrices_dir)

    def check(env: Environment) -> list[Finding]:
        return run_checks(CheckContext(env=env, matrices=matrices))

    return check


def render_table(result: FleetResult, *, limit: int = 40) -> str:
    """Plain-text summary: groups, the majority stack, outliers (first ``limit``), corrupt files."""
    if not result.groups and not result.corrupt:
        return "No snapshots found."
    lines = [
        f"{result.nodes} nodes, {len(result.groups)} distinct stacks, {len(result.corrupt)} unreadable files"
    ]
    if result.groups:
        lines += [
            "",
            f"Majority stack ({result.groups[0].fingerprint}, {len(result.groups[0].nodes)} nodes):",
        ]
        lines += table(sorted(result.groups[0].stack.items()), header=("component", "value"), max_pad=48)
        rows = [(g.fingerprint, str(len(g.nodes)), finding_counts(g.findings)) for g in result.groups]
        lines += ["", "Groups:", *table(rows, header=("group", "nodes", "findings"), max_pad=48)]
    for g in result.groups:
        for f in g.findings:
            if f.severity.value != "info":
                lines.append(f"  {g.fingerprint}  {f.severity.value:<7} {f.code:<7} {f.title}")
    if result.outliers:
        lines += ["", "Outliers (what sets them apart from the majority):"]
        rows = []
        for o in result.outliers[:limit]:  # one difference per line, the node named once
            texts = [change_text(c) for c in o.differences] or ["-"]
            rows.append((o.node, o.group, texts[0]))
            rows += [("", "", text) for text in texts[1:]]
        lines += table(rows, header=("node", "group", "differences"), max_pad=48)
        if len(result.outliers) > limit:
            lines.append(f"... and {len(result.outliers) - limit} more (use --format json)")
    if result.corrupt:
        lines += ["", "Unreadable files:"] + [f"  {f}: {why}" for f, why in result.corrupt]
    return "\n".join(lines)


def finding_counts(findings: Sequence[Finding]) -> str:
    c = Counter(f.severity.value for f in findings)
    return ", ".join(f"{c[s]} {s}s" for s in ("error", "warning", "info") if c[s]) or "none"


def change_text(c: Change) -> str:
    return f"{c.component}: {c.before or '-'} -> {c.after or '-'}"
