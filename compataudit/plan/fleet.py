"""``fleet PATH...``: many nodes' snapshots or reports, grouped by the stack they run.

One pass over the files, streaming: each file is parsed, reduced to a
fingerprint (Python minor, OS, driver, GPUs, stack package versions with their
build variants, what each framework was built for) and dropped. Only one full
:class:`~compataudit.model.Environment` per *group* is kept, and the checks run
once per group. Building an Environment costs ~10x more than reading the JSON,
so the fingerprint is read from the JSON directly, with the fields it uses
type-checked; the first node of each group is also validated in full.

A file that cannot be read or parsed is counted and named, never fatal.

Members may be ``check`` reports (:mod:`compataudit.plan.members`): a report whose
smoke kernels failed or whose findings reach ``--fail-on`` is an outlier whatever
its stack. ``-`` reads members from stdin; ``expect`` names the nodes that should
have answered, and those that did not are listed as missing.

Each group is labelled by what it is - ``majority``, or what sets it apart from the
majority (:mod:`compataudit.plan.fleet_labels`); the fingerprint stays its stable id.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from compataudit.distributions import canonical_name
from compataudit.errors import InputError
from compataudit.model import Environment, Finding, to_jsonable
from compataudit.plan import parse_document
from compataudit.plan.diff import TIER_RUNTIME, Change, package_tier
from compataudit.plan.fleet_labels import differences, group_labels
from compataudit.plan.members import STDIN, MemberError, Problem, member_problems
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
    label: str = ""  # what the group is: "majority", "torch 2.4.1" (plan.fleet_labels)

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
    problems: tuple[Problem, ...] = ()  # a report's failed smoke kernels and findings
    group_label: str = ""  # its group's label


@dataclass
class FleetResult:
    nodes: int
    groups: list[Group]  # largest first; groups[0] is the majority stack
    outliers: list[Outlier]
    corrupt: list[tuple[str, str]]  # (file, why)
    missing: list[str] = field(default_factory=list)  # --expect nodes that sent nothing
    expected: int | None = None  # how many --expect named
    collected: tuple[str, str] | None = None  # earliest and latest created_at of the members

    @property
    def has_majority(self) -> bool:
        """One group is larger than every other (no tie for largest)."""
        return len(self.groups) == 1 or (
            len(self.groups) > 1 and len(self.groups[0].nodes) > len(self.groups[1].nodes)
        )

    @property
    def failing(self) -> list[Outlier]:
        """Outliers whose own report failed the gate (smoke or findings)."""
        return [o for o in self.outliers if o.problems]

    def to_json(self) -> dict[str, Any]:
        names = node_names(self.groups)
        return {
            "nodes": self.nodes,
            "majority": self.groups[0].fingerprint if self.groups else None,
            "groups": [
                {
                    "fingerprint": g.fingerprint,
                    "label": g.label or g.fingerprint,
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
                    "group_label": o.group_label or o.group,
                    "differences": [c.to_json() for c in o.differences],
                    "problems": [p.to_json() for p in o.problems],
                }
                for o in self.outliers
            ],
            "corrupt": [{"file": f, "error": why} for f, why in self.corrupt],
            "missing": list(self.missing),
            "expected": self.expected,
            "collected": {"first": self.collected[0], "last": self.collected[1]} if self.collected else None,
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
    return _envelope(data)


def _envelope(data: Any) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    if not isinstance(data, Mapping):
        raise _Bad("not a JSON object")
    env = data.get("environment") if "environment" in data else data
    if not isinstance(env, Mapping) or "python" not in env:
        raise _Bad("not a snapshot or report")
    from compataudit.sources.snapshot import schema_problem

    problem = schema_problem(data)  # every member, not only the first of its stack
    if problem is not None:
        raise _Bad(problem)
    return data, env


def _iter_members(
    paths: Iterable[str], stdin: IO[str] | IO[bytes] | None
) -> Iterator[tuple[str, Callable[[], tuple[Mapping[str, Any], Mapping[str, Any]]] | None, str]]:
    """(name, reader, "") per member; (name, None, why) for a path or text that is none."""
    args = list(paths)
    if STDIN in args:
        from compataudit.plan.members import iter_stream_documents

        stream = stdin if stdin is not None else getattr(sys.stdin, "buffer", sys.stdin)
        for name, value, why in iter_stream_documents(stream):
            yield name, (None if why else functools.partial(_envelope, value)), why
    for path, problem in iter_input_files(a for a in args if a != STDIN):
        yield path, (None if problem else functools.partial(_read, path)), problem or ""


def aggregate(
    paths: Iterable[str],
    checker: Checker | None = None,
    *,
    fail_on: str = "error",
    expect: Sequence[str] | None = None,
    stdin: IO[str] | IO[bytes] | None = None,
) -> FleetResult:
    """Group every node found under ``paths`` by stack; run ``checker`` once per group.

    A report whose smoke kernels failed or whose findings reach ``fail_on`` is an outlier;
    ``expect`` (hostnames) lists the expected nodes that sent nothing as missing.
    """
    groups: dict[tuple[tuple[str, str], ...], Group] = {}
    corrupt: list[tuple[str, str]] = []
    problems: dict[tuple[str | None, str], tuple[Problem, ...]] = {}
    seen_names: list[str] = []
    times: list[str] = []
    nodes = 0
    for path, reader, problem in _iter_members(paths, stdin):
        if reader is None:
            corrupt.append((path, problem))
            continue
        try:
            data, env_data = reader()
            key = stack_fingerprint(env_data)
            own = member_problems(data, env_data, fail_on)
            group = groups.get(key)
            if group is None:  # first of its kind: validate fully, keep as the representative
                env, _ = parse_document(data, path)
                group = groups[key] = Group(key=key, env=env)
        except (_Bad, MemberError) as exc:
            corrupt.append((path, str(exc)))
            continue
        except InputError as exc:
            corrupt.append((path, str(exc).removeprefix(f"{path}: ")))
            continue
        except OSError as exc:
            corrupt.append((path, exc.strerror or str(exc)))
            continue
        raw_host = env_data["platform"].get("hostname")
        hostname = raw_host if isinstance(raw_host, str) else None
        group.nodes.append((hostname, path))
        if own:
            problems[(hostname, path)] = own
        seen_names += [hostname or "", Path(path).stem]
        created = env_data.get("created_at")
        if isinstance(created, str) and created:
            times.append(created)
        nodes += 1
    ordered = sorted(groups.values(), key=lambda g: -len(g.nodes))  # stable: first seen wins ties
    label_groups(ordered)
    if checker is not None:
        for g in ordered:
            g.findings = tuple(checker(g.env))
    missing: list[str] = []
    if expect is not None:
        from compataudit.plan.expect import missing_nodes

        missing = missing_nodes(expect, seen_names)
    collected = (min(times), max(times)) if times else None
    return FleetResult(
        nodes,
        ordered,
        _outliers(ordered, problems),
        corrupt,
        missing=missing,
        expected=len(expect) if expect is not None else None,
        collected=collected,
    )


def _outliers(
    groups: list[Group], problems: Mapping[tuple[str | None, str], tuple[Problem, ...]] | None = None
) -> list[Outlier]:
    """Nodes whose own report failed (first), then the nodes outside the majority stack."""
    problems = problems or {}
    names = node_names(groups)
    failing: list[Outlier] = []
    out: list[Outlier] = []
    majority = groups[0].stack if groups else {}
    for i, g in enumerate(groups):
        changes: tuple[Change, ...] = ()
        if i:  # one comparison per group, shared by its nodes: linear in nodes, not quadratic
            changes = tuple(differences(majority, g.stack))
        for h, f in g.nodes:
            own = problems.get((h, f), ())
            if own or i:
                outlier = Outlier(names[(h, f)], f, g.fingerprint, changes, own, g.label or g.fingerprint)
                (failing if own else out).append(outlier)
    return failing + out


def label_groups(groups: Sequence[Group]) -> None:
    """Name each group (largest first) by what it is: ``majority``, ``torch 2.4.1``, ..."""
    for g, label in zip(groups, group_labels([(g.stack, len(g.nodes)) for g in groups]), strict=True):
        g.label = label


def node_names(groups: list[Group]) -> dict[tuple[str | None, str], str]:
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
    from compataudit.compat.matrices import load_matrices

    matrices = load_matrices(matrices_dir)

    def check(env: Environment) -> list[Finding]:
        return run_checks(CheckContext(env=env, matrices=matrices))

    return check


def finding_counts(findings: Sequence[Finding]) -> str:
    """``1 error, 2 warnings, 3 info``: the words of the run summary (info has no plural)."""
    c = Counter(f.severity.value for f in findings)
    words = {s: s if c[s] == 1 or s == "info" else s + "s" for s in ("error", "warning", "info")}
    return ", ".join(f"{c[s]} {words[s]}" for s in ("error", "warning", "info") if c[s]) or "none"


def change_text(c: Change) -> str:
    return f"{c.component}: {c.before or '-'} -> {c.after or '-'}"
