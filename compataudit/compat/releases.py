"""Every release of the audited families, as the package index lists them: the offline resolver's data.

``matrices/harvested/*.json`` (written by ``tools/harvest.py``) hold each release of torch,
torchvision, tensorflow, keras, jax, … with its Requires-Python, the Python tags of its wheels and
the Requires-Dist of one of them. A built wheel does not ship the harvest, so the parts the
resolver reads are written to ``_releases.json`` when the wheel is built (:func:`releases_json`,
kept out of ``_compiled.json`` so that a run without ``-r`` never parses them); a checkout reads
the harvest itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compataudit.compat.datafacts import HARVEST_DIR

if TYPE_CHECKING:
    from compataudit.compat.matrices import Matrices

RELEASES_NAME = "_releases.json"
_VIEW = "releases"


@dataclass(frozen=True)
class Release:
    """One release of one distribution on the package index."""

    version: str
    requires_python: str | None
    python_tags: tuple[str, ...]  # "cp311", "py3": the wheels' interpreter tags
    requires: tuple[str, ...]  # Requires-Dist lines on distributions the resolver cares about


@dataclass(frozen=True)
class ReleaseIndex:
    """Canonical name -> its releases (in the index's order, oldest first)."""

    releases: dict[str, tuple[Release, ...]]

    def knows(self, name: str) -> bool:
        return name in self.releases

    def of(self, name: str) -> tuple[Release, ...]:
        return self.releases.get(name, ())


def _relevant(line: str, names: set[str]) -> bool:
    from compataudit.distributions import AUDITED_STACK, canonical_name

    head = line.split(";", 1)[0]
    for stop in "([<>=!~ ":
        head = head.split(stop, 1)[0]
    name = canonical_name(head)
    return name in names or name in AUDITED_STACK


def _from_documents(documents: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    packages: dict[str, dict[str, Any]] = {}
    for doc in documents:
        found = doc.get("packages")
        if isinstance(found, dict):
            packages.update((str(k), v) for k, v in found.items() if isinstance(v, dict))
    names = set(packages)
    out: dict[str, list[dict[str, Any]]] = {}
    for name, package in packages.items():
        rows = []
        releases = package.get("releases")
        for version, facts in releases.items() if isinstance(releases, dict) else ():
            if not isinstance(facts, dict):
                continue
            metadata = facts.get("metadata") if isinstance(facts.get("metadata"), dict) else {}
            requires = metadata.get("requires_dist") if isinstance(metadata, dict) else None
            rows.append(
                {
                    "version": str(version),
                    "requires_python": facts.get("requires_python"),
                    "python_tags": [str(t) for t in facts.get("python_tags") or ()],
                    "requires": [
                        str(r) for r in requires or () if isinstance(r, str) and _relevant(r, names)
                    ],
                    "metadata": bool(metadata),
                }
            )
        out[name] = rows
    return out


# Harvested families the resolver does not pick from. The compiled extensions (xformers,
# vllm, ...) are judged where they are installed (EXT findings); resolving them from ranges
# sent the search past its budget on real files (generative-models' requirements: pip
# backtracks to torch 2.0.1, the resolver gave up at torch 2.15.0 beside triton==2.0.0).
# numpy, protobuf and ml-dtypes ("deps") are recorded without their Requires-Dist: the
# resolver keeps them as constraints without release data, as pip's ranges say.
_NOT_RESOLVED = frozenset({"extensions", "deps"})


def compile_releases(directory: Path) -> dict[str, list[dict[str, Any]]]:
    """The resolver's part of ``directory/harvested/*.json``, for ``_compiled.json``."""
    documents = []
    for path in sorted((directory / HARVEST_DIR).glob("*.json")):
        if path.stem in _NOT_RESOLVED:
            continue
        try:
            doc = json.loads(path.read_bytes())
        except (OSError, ValueError):
            continue  # a broken harvest file loses its own facts, never the run
        if isinstance(doc, dict):
            documents.append(doc)
    return _from_documents(documents)


def releases_json(directory: Path) -> str:
    """The text of ``_releases.json`` for the matrices in ``directory``."""
    return json.dumps(compile_releases(directory), separators=(",", ":"))


def _index(rows: dict[str, Any]) -> ReleaseIndex:
    releases: dict[str, tuple[Release, ...]] = {}
    for name, entries in rows.items():
        if not isinstance(entries, list):
            continue
        releases[name] = tuple(
            Release(
                version=str(e["version"]),
                requires_python=e.get("requires_python") or None,
                python_tags=tuple(e.get("python_tags") or ()),
                requires=tuple(e.get("requires") or ()),
            )
            for e in entries
            # A release whose metadata was not recorded (tensorflow-gpu, -rocm …) cannot be
            # resolved through: its Requires-Dist is unknown.
            if isinstance(e, dict) and "version" in e and e.get("metadata", True)
        )
    return ReleaseIndex(releases)


def release_index(matrices: Matrices) -> ReleaseIndex:
    """The releases the data knows: the harvest in a checkout, its compiled copy in a wheel."""
    cached = matrices.views.get(_VIEW)
    if isinstance(cached, ReleaseIndex):
        return cached
    rows: Any = None
    harvest = [p.stat().st_mtime for p in (matrices.directory / HARVEST_DIR).glob("*.json")]
    compiled = matrices.directory / RELEASES_NAME
    # The compiled copy (a wheel; an editable install after its build hook ran) while it is
    # at least as new as the harvest it was made from; else the harvest itself (~15x slower).
    if compiled.is_file() and compiled.stat().st_mtime >= max(harvest, default=0.0):
        try:
            rows = json.loads(compiled.read_bytes())
        except (OSError, ValueError):
            rows = None
    if rows is None:
        rows = compile_releases(matrices.directory) if harvest else {}  # none: ranges stay unresolved
    index = matrices.views[_VIEW] = _index(rows if isinstance(rows, dict) else {})
    return index
