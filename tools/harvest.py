"""Harvest compatibility facts from the package index's own metadata (maintainer tool).

For every final release of the audited families this records what the index says about
each wheel (file name, sha256, upload date, Requires-Python, so the cp tags shipped) and,
for the packages whose pins the matrices depend on, the Requires-Dist of one Linux
x86_64 wheel per release (torchvision -> torch, jax -> jaxlib, TF -> keras / numpy /
protobuf / ml-dtypes and its `and-cuda` extra, torch -> cuda-toolkit / nvidia-* = the
CUDA and cuDNN of the default PyPI build). Output: ``matrices/harvested/<family>.json``,
each with a top-level ``"harvested": "YYYY-MM-DD"``. The CLI never reads these files;
``tests/test_harvest_crosscheck.py`` compares the curated TOML with them, offline.

Everything goes through pip, but never through the machine's pip configuration: a
configured mirror, ``--find-links`` or ``uploaded-prior-to`` cap would hide releases (the
2026-12-01 harvest and ``newest.toml`` missed jax 0.12.1, numpy 2.5 and ml-dtypes 0.7 that
way), so every pip call gets ``--index-url`` (``--index-url`` here, default PyPI) with
``PIP_CONFIG_FILE`` set to the null device and the other ``PIP_*`` variables dropped. The
project pages come through pip's own index client, the metadata through
``pip install --dry-run --no-deps --ignore-installed --only-binary=:all: --report``
(which reads PEP 658 metadata where the index serves it, else the wheel). The index is read
for every Python a package ships wheels for, not the harvesting interpreter's: each package
also records ``newest_by_python``, what ``pip index versions --python-version 3.X`` answers
for each CPython its files name (tests fail when a recorded release list ends before it).
A recent pip (26 here) also keeps the upload times of the index's JSON pages::

    python tools/harvest.py [--family torch] [--jobs 4] [--index-url URL]

A re-run keeps every release already recorded and only asks pip about new ones (the
reports are also cached in ``.harvest-cache/``, ignored by git); ``--refresh`` asks again.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "matrices" / "harvested"
CACHE_DIR = ROOT / ".harvest-cache"
DEFAULT_INDEX = "https://pypi.org/simple/"


@dataclass(frozen=True)
class Package:
    name: str
    since: str  # oldest release harvested (older history is out of the matrices' range)
    metadata: bool = True  # ask for the Requires-Dist of one wheel per release


# The range starts where the matrices start (torch 1.12, TF 2.4, keras 2.6, jax 0.4);
# TF variants other than tensorflow / tensorflow-cpu only get their file lists.
FAMILIES: dict[str, tuple[Package, ...]] = {
    "torch": (
        Package("torch", "1.12"),
        Package("torchvision", "0.13"),
        Package("torchaudio", "0.12"),
        Package("triton", "2.0"),
    ),
    "tensorflow": (
        Package("tensorflow", "2.4"),
        Package("tensorflow-cpu", "2.4"),
        Package("tensorflow-intel", "2.4", metadata=False),
        Package("tensorflow-cpu-aws", "2.4", metadata=False),
        Package("tensorflow-macos", "2.4", metadata=False),
        Package("tensorflow-gpu", "2.4", metadata=False),
        Package("tensorflow-rocm", "2.4", metadata=False),
    ),
    "keras": (Package("keras", "2.6"), Package("tf-keras", "2.0")),
    "jax": (
        Package("jax", "0.4"),
        Package("jaxlib", "0.4"),
        Package("jax-cuda12-plugin", "0.4"),
        Package("jax-cuda12-pjrt", "0.4"),
        Package("jax-cuda13-plugin", "0.4"),
        Package("jax-cuda13-pjrt", "0.4"),
    ),
    # Compiled extensions around torch: their exact torch pins (Requires-Dist) per release.
    # A few recent releases each; packages with no wheel on PyPI (flash-attn, deepspeed,
    # mmcv, the PyG extensions) are source distributions there and record no releases.
    "extensions": (
        Package("xformers", "0.0.28"),
        Package("vllm", "0.10"),
        Package("sglang", "0.5"),
        Package("bitsandbytes", "0.45"),
        Package("onnxruntime-gpu", "1.19"),
        Package("flash-attn", "2.7"),
        Package("deepspeed", "0.16"),
        Package("torch-scatter", "2.1"),
        Package("transformer-engine-torch", "2.0"),
    ),
    "cuda": (
        Package("nvidia-cudnn-cu12", "8.9"),
        Package("nvidia-cudnn-cu13", "9.0"),
        Package("cuda-toolkit", "12.0"),
    ),
    # the families matrices/newest.toml names: their release lists only (MAT001's yardstick)
    "deps": (
        Package("numpy", "1.19", metadata=False),
        Package("protobuf", "3.9", metadata=False),
        Package("ml-dtypes", "0.1", metadata=False),
    ),
}
# The CPython minors asked about (pip's --python-version): every one a package ships for.
PYTHON_MINORS = tuple(f"3.{minor}" for minor in range(7, 16))
# Variables kept for pip's subprocesses: certificates and the timeout, never an index,
# find-links, constraint or upload-date cap.
PIP_ENV_KEPT = ("PIP_CERT", "PIP_DEFAULT_TIMEOUT", "PIP_DISABLE_PIP_VERSION_CHECK")


# ---------------------------------------------------------------- the index, through pip
def _pip_collector(index: str) -> Any:
    """pip's own index client on ``index`` alone; the machine's pip configuration is not read."""
    from pip._internal.index.collector import LinkCollector
    from pip._internal.models.search_scope import SearchScope
    from pip._internal.network.session import PipSession

    session = PipSession()
    session.verify = os.environ.get("PIP_CERT", True)
    scope = SearchScope.create(find_links=[], index_urls=[index], no_index=False)
    return LinkCollector(session=session, search_scope=scope)


def pip_env() -> dict[str, str]:
    """The environment of pip's subprocesses: no configuration file, no PIP_* but the kept."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") or k in PIP_ENV_KEPT}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def index_files(collector: Any, index: str, name: str) -> list[dict[str, Any]]:
    """Every wheel on the project page: file, sha256, Requires-Python, upload time."""
    from pip._internal.index.collector import parse_links
    from pip._internal.models.link import Link

    page = collector.fetch_response(Link(f"{index.rstrip('/')}/{name}/"))
    if page is None:
        raise SystemExit(f"harvest: the index has no page for {name}")
    files = []
    link: Any  # pip's Link
    for link in parse_links(page):
        if not link.filename.endswith(".whl"):
            continue
        upload_time = getattr(link, "upload_time", None)  # older pips do not keep it
        uploaded = upload_time.date().isoformat() if upload_time else None
        files.append(
            {
                "file": link.filename,
                "sha256": link.hash if link.hash_name == "sha256" else None,
                "requires_python": link.requires_python or None,
                "uploaded": uploaded,
                "yanked": link.is_yanked,
            }
        )
    return files


def releases_of(files: Iterable[dict[str, Any]], since: str) -> dict[str, list[dict[str, Any]]]:
    """The wheels of every final release >= ``since``, keyed by version string."""
    floor = Version(since)
    grouped: dict[Version, list[dict[str, Any]]] = {}
    for entry in files:
        try:
            _name, version, _build, _tags = parse_wheel_filename(entry["file"])
        except (InvalidWheelFilename, InvalidVersion):
            continue
        if version.is_prerelease or version.is_devrelease or version.local or version < floor:
            continue
        grouped.setdefault(version, []).append(entry)
    return {str(v): sorted(grouped[v], key=lambda e: e["file"]) for v in sorted(grouped)}


# ---------------------------------------------------------------- one wheel's metadata
def _python_tag(tag: str) -> tuple[int, int] | None:
    if tag.startswith("cp") and tag[2:].isdigit() and len(tag) >= 4:
        return int(tag[2]), int(tag[3:])
    return None


def pick_target(wheels: list[dict[str, Any]]) -> tuple[str, str] | None:
    """(python version, platform) of the wheel to read: Linux x86_64 (or pure Python) first,
    then the oldest CPython it ships (the rows cite those; TF's numpy floor is the old one)."""
    candidates = []
    for entry in wheels:
        for tag in parse_wheel_filename(entry["file"])[3]:
            if tag.abi.endswith("t"):
                continue  # free-threaded builds are a second wheel of the same Python
            python = _python_tag(tag.interpreter) or _lowest_allowed(entry["requires_python"])
            if not _allows(entry["requires_python"], python):
                # an abi3 wheel tagged cp38 may still require a newer Python (vllm: >=3.10)
                python = _lowest_allowed(entry["requires_python"])
            linux = tag.platform == "any" or ("linux" in tag.platform and "x86_64" in tag.platform)
            candidates.append((not linux, python, tag.platform))
    if not candidates:
        return None
    _other, (major, minor), platform = min(candidates)
    return f"{major}.{minor}", ("manylinux_2_28_x86_64" if platform == "any" else platform)


def _allows(requires_python: str | None, python: tuple[int, int]) -> bool:
    try:
        spec = SpecifierSet(requires_python or "")
    except InvalidSpecifier:
        return True
    return spec.contains(f"{python[0]}.{python[1]}.0", prereleases=True) or spec.contains(
        f"{python[0]}.{python[1]}.99"
    )


def _lowest_allowed(requires_python: str | None) -> tuple[int, int]:
    try:
        spec = SpecifierSet(requires_python or "")
    except InvalidSpecifier:
        spec = SpecifierSet()
    for minor in range(8, 20):
        if spec.contains(f"3.{minor}.0", prereleases=True) or spec.contains(f"3.{minor}.99"):
            return 3, minor
    return 3, 12


def read_metadata(
    name: str, version: str, python: str, platform: str, index: str = DEFAULT_INDEX
) -> dict[str, Any]:
    """Requires-Python / Requires-Dist of the wheel pip would install for that target."""
    key = CACHE_DIR / "reports" / name / f"{version}-py{python}-{platform}.json"
    if key.is_file():
        cached: dict[str, Any] = json.loads(key.read_text(encoding="utf-8"))
        return cached
    with tempfile.TemporaryDirectory(prefix="harvest-") as tmp:
        report = Path(tmp) / "report.json"
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--no-deps",
            "--ignore-installed",
            "--only-binary=:all:",
            "--no-cache-dir",
            "--quiet",
            "--python-version",
            python,
            "--platform",
            platform,
            "--target",
            str(Path(tmp) / "target"),
            "--report",
            str(report),
            "--index-url",
            index,
            f"{name}=={version}",
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=pip_env())
        if done.returncode != 0 or not report.is_file():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return {"error": f"pip: {last}"}
        install = json.loads(report.read_text(encoding="utf-8"))["install"][0]
    meta = install["metadata"]
    result = {
        "file": install["download_info"]["url"].rsplit("/", 1)[-1],
        "requires_python": meta.get("requires_python"),
        "requires_dist": meta.get("requires_dist", []),
    }
    key.parent.mkdir(parents=True, exist_ok=True)
    key.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result


# ---------------------------------------------------------------- newest per Python
def shipped_pythons(wheels: Iterable[dict[str, Any]]) -> list[str]:
    """The CPython minors any of these wheels installs on (its cp tag, or a py3 wheel's
    Requires-Python), oldest first."""
    found: set[str] = set()
    for entry in wheels:
        for tag in _tags(entry["file"]):
            python = _python_tag(tag.interpreter)
            if python:
                found.add(f"{python[0]}.{python[1]}")
            elif tag.interpreter.startswith("py3"):
                found.update(m for m in PYTHON_MINORS if _admits(entry["requires_python"], m))
    return sorted(found & set(PYTHON_MINORS), key=Version)


def _tags(file: str) -> frozenset[Any]:
    try:
        return parse_wheel_filename(file)[3]
    except (InvalidWheelFilename, InvalidVersion):
        return frozenset()


def _admits(requires_python: str | None, minor: str) -> bool:
    try:
        spec = SpecifierSet(requires_python or "")
    except InvalidSpecifier:
        return True
    return spec.contains(f"{minor}.0", prereleases=True) or spec.contains(f"{minor}.99")


def platforms_of(wheels: Iterable[dict[str, Any]]) -> list[str]:
    """Every platform tag the wheels name except ``any`` (pip accepts pure wheels anyway)."""
    tags = {tag.platform for e in wheels for tag in _tags(e["file"])}
    return sorted(tags - {"any"}) or ["manylinux_2_28_x86_64"]


def pip_newest(name: str, python: str, platforms: list[str], index: str, day: str) -> str | None:
    """The newest final release ``pip index versions`` offers a CPython ``python`` on any of
    ``platforms`` (None when it offers none); cached for the day of the harvest."""
    key = CACHE_DIR / "newest" / day / f"{name}-py{python}.txt"
    if key.is_file():
        return key.read_text(encoding="utf-8").strip() or None
    cmd = [sys.executable, "-m", "pip", "index", "versions", name, "--python-version", python]
    cmd += ["--only-binary=:all:", "--index-url", index]
    for platform in platforms:
        cmd += ["--platform", platform]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=pip_env())
    newest = parse_index_versions(name, done.stdout) if done.returncode == 0 else None
    if done.returncode != 0 and "No matching distribution" not in done.stderr:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"harvest: pip index versions {name} (Python {python}): {last}")
    key.parent.mkdir(parents=True, exist_ok=True)
    key.write_text((newest or "") + "\n", encoding="utf-8")
    return newest


def parse_index_versions(name: str, stdout: str) -> str | None:
    """``numpy (2.5.5)`` -> ``2.5.5``: the first line of ``pip index versions``."""
    first = (stdout.strip().splitlines() or [""])[0].strip()
    prefix = f"{name} ("
    if first.lower().startswith(prefix.lower()) and first.endswith(")"):
        return first[len(prefix) : -1]
    return None


def newest_by_python(
    name: str, files: list[dict[str, Any]], index: str, pool: ThreadPoolExecutor
) -> dict[str, str]:
    """Per CPython the files name, the newest release pip offers it (the index as it is)."""
    day = datetime.date.today().isoformat()
    platforms = platforms_of(files)
    asks = {py: pool.submit(pip_newest, name, py, platforms, index, day) for py in shipped_pythons(files)}
    return {py: found for py, ask in asks.items() if (found := ask.result())}


# ---------------------------------------------------------------- one package, one family
def release_record(wheels: list[dict[str, Any]]) -> dict[str, Any]:
    """What the index says of one release (its metadata is added separately)."""
    pythons = {w["requires_python"] for w in wheels}
    dates = sorted(w["uploaded"] for w in wheels if w["uploaded"])
    tags = sorted(
        {tag.interpreter for w in wheels for tag in parse_wheel_filename(w["file"])[3]},
        key=lambda t: (_python_tag(t) or (0, 0), t),
    )
    record: dict[str, Any] = {
        "uploaded": dates[0] if dates else None,
        "requires_python": pythons.pop() if len(pythons) == 1 else None,
        "python_tags": tags,
        "wheels": [[w["file"], w["sha256"], w["uploaded"]] for w in wheels],
    }
    if record["requires_python"] is None and len(pythons) > 1:
        record["requires_python_by_wheel"] = {w["file"]: w["requires_python"] for w in wheels}
    if all(w["yanked"] for w in wheels):
        record["yanked"] = True
    return record


def harvest_package(
    collector: Any,
    index: str,
    package: Package,
    known: dict[str, Any],
    pool: ThreadPoolExecutor,
    refresh: bool,
) -> dict[str, Any]:
    files = index_files(collector, index, package.name)
    releases = releases_of(files, package.since)
    records = {version: release_record(wheels) for version, wheels in releases.items()}
    pending = {}
    for version, record in records.items():
        old = known.get(version, {}).get("metadata")
        if package.metadata and (refresh or not old or "error" in old):
            target = pick_target(releases[version])
            if target:
                pending[version] = pool.submit(read_metadata, package.name, version, *target, index)
        elif old:
            record["metadata"] = old
    for version, future in pending.items():
        records[version]["metadata"] = future.result()
        print(
            f"  {package.name} {version}: {records[version]['metadata'].get('file', 'error')}",
            file=sys.stderr,
        )
    newest = newest_by_python(package.name, files, index, pool)
    return {"since": package.since, "newest_by_python": newest, "releases": records}


def harvest_family(family: str, jobs: int, refresh: bool, index: str = DEFAULT_INDEX) -> Path:
    path = OUT_DIR / f"{family}.json"
    old = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    collector = _pip_collector(index)
    packages = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for package in FAMILIES[family]:
            print(f"{family}: {package.name}", file=sys.stderr)
            known = old.get("packages", {}).get(package.name, {}).get("releases", {})
            packages[package.name] = harvest_package(collector, index, package, known, pool, refresh)
    document = {
        "harvested": datetime.date.today().isoformat(),
        "index": index,
        "how": "python tools/harvest.py (no pip configuration): index pages, "
        "pip install --dry-run --report metadata, pip index versions per CPython",
        "packages": packages,
    }
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path.write_text(dump(document) + "\n", encoding="utf-8")
    return path


def dump(value: Any, indent: str = "") -> str:
    """JSON with one line per list of scalars (one line per wheel): small, diff-friendly."""
    inner = indent + " "
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k)}: {dump(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        return "[\n" + ",\n".join(inner + dump(v, inner) for v in value) + "\n" + indent + "]"
    return json.dumps(value, ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--family",
        action="append",
        choices=sorted(FAMILIES),
        help="harvest only this family (repeatable; default: all)",
    )
    parser.add_argument("--jobs", type=int, default=4, help="pip calls in parallel (default 4)")
    parser.add_argument("--refresh", action="store_true", help="ask pip again for known releases")
    parser.add_argument("--index-url", default=DEFAULT_INDEX, help=f"the index (default {DEFAULT_INDEX})")
    args = parser.parse_args(argv)
    for family in args.family or sorted(FAMILIES):
        path = harvest_family(family, max(1, args.jobs), args.refresh, args.index_url)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
