"""The package scan's metadata cache: the same Packages with it, without it, cold and warm."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from compataudit.model import Package
from compataudit.probes import packages
from compataudit.probes.fact_cache import default_cache_dir
from compataudit.probes.packages import scan_distributions


def _dist(
    site: Path,
    name: str,
    version: str,
    *,
    requires: tuple[str, ...] = (),
    module: str | None = None,
    record: str | None = None,
    top_level: str | None = None,
) -> Path:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    (info / "METADATA").write_text("\n".join(lines) + "\n\nThe description.\n")
    if record is not None:
        (info / "RECORD").write_text(record)
    if top_level is not None:
        (info / "top_level.txt").write_text(top_level)
    if module:
        (site / module).mkdir(exist_ok=True)
        (site / module / "__init__.py").write_text("")
    return info


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A small site-packages: plain, RECORD-only, editable, half-removed and unreadable dists."""
    where = tmp_path / "site"
    _dist(
        where,
        "torchvision",
        "0.20.1",
        requires=("torch==2.5.1", "numpy; python_version>'3'"),
        module="torchvision",
    )
    _dist(where, "six", "1.16.0", record="six.py,,\nsix-1.16.0.dist-info/METADATA,,\n")
    _dist(where, "attrs", "24.2.0", top_level="attr\nattrs\n", record="attr/__init__.py,,\n")
    _dist(where, "keras", "3.15.1", module="keras")
    _dist(where, "jax", "0.4.30")  # its files are gone: a problem, found fresh every run
    torch = _dist(where, "torch", "2.6.0a0+git1234")  # `pip install -e .` of a checkout
    (torch / "direct_url.json").write_text('{"url": "file:///src", "dir_info": {"editable": true}}')
    (where / "broken-1.0.dist-info").mkdir()  # no METADATA: never cached
    return where


def _scan(site: Path, cache: Path) -> list[Package]:
    return scan_distributions([str(site)], cache_dir=cache)


def _uncached(site: Path) -> list[Package]:
    return scan_distributions([str(site)], use_cache=False)


def _cache_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.json")) if cache.is_dir() else []


def test_cold_warm_and_uncached_scans_are_identical(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    uncached = _uncached(site)
    assert {p.name: p.problem is not None for p in uncached} == {
        "attrs": False,
        "broken": True,
        "jax": True,
        "keras": False,
        "six": False,
        "torch": False,
        "torchvision": False,
    }
    assert _scan(site, cache) == uncached  # cold: writes the cache
    (written,) = _cache_files(cache)
    assert len(json.loads(written.read_text())) == 6  # every dist-info with a METADATA

    def no_read(path: Path, *_args: object, **_kwargs: object) -> object:
        if path.parent.name == "broken-1.0.dist-info":  # no METADATA: read (and fail) every run
            raise FileNotFoundError(2, "No such file or directory")
        raise AssertionError(f"a warm scan read {path}")

    monkeypatch.setattr(packages, "read_headers", no_read)
    monkeypatch.setattr(packages, "_modules_of", no_read)
    monkeypatch.setattr(packages, "_is_editable", no_read)
    before = written.stat().st_mtime_ns
    assert _scan(site, cache) == uncached  # warm: from the cache alone
    assert written.stat().st_mtime_ns == before  # nothing changed, nothing written


def test_a_problem_outside_the_dist_info_is_found_fresh(site: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert {p.name: p.problem for p in _scan(site, cache)}["keras"] is None
    shutil.rmtree(site / "keras")
    (keras,) = [p for p in _scan(site, cache) if p.name == "keras"]
    assert keras.problem is not None and "files are missing" in keras.problem


def test_metadata_rewritten_in_place_with_the_same_size_is_read_again(site: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    metadata = site / "keras-3.15.1.dist-info" / "METADATA"
    _scan(site, cache)
    stat = metadata.stat()
    metadata.write_text(metadata.read_text().replace("3.15.1", "3.15.2"))
    assert metadata.stat().st_size == stat.st_size
    os.utime(metadata, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    found = {p.name: p.version for p in _scan(site, cache)}
    assert found["keras"] == "3.15.2"
    assert _scan(site, cache) == _uncached(site)


def test_a_replaced_dist_info_is_a_new_entry_and_the_old_one_goes(site: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _scan(site, cache)
    shutil.rmtree(site / "torchvision-0.20.1.dist-info")
    _dist(site, "torchvision", "0.21.0", requires=("torch==2.6.0",), module="torchvision")
    found = {p.name: p for p in _scan(site, cache)}
    assert (found["torchvision"].version, found["torchvision"].requires) == ("0.21.0", ("torch==2.6.0",))
    (written,) = _cache_files(cache)
    keys = json.loads(written.read_text())
    assert any("torchvision-0.21.0.dist-info" in k for k in keys)
    assert not any("torchvision-0.20.1.dist-info" in k for k in keys)


def test_record_and_direct_url_changes_are_seen(site: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _scan(site, cache)
    (site / "six-1.16.0.dist-info" / "RECORD").write_text("six.py,,\nsix_extra/__init__.py,,\n")
    (site / "jax-0.4.30.dist-info" / "direct_url.json").write_text('{"dir_info": {"editable": true}}')
    found = {p.name: p for p in _scan(site, cache)}
    assert found["six"].modules == ("six", "six_extra")
    assert found["jax"].problem is None  # now an editable install: its code lives elsewhere
    assert list(found.values()) == _uncached(site)


@pytest.mark.parametrize(
    "content",
    ["{not json", "[1, 2]", ""],
)
def test_a_corrupt_cache_file_is_a_miss(site: Path, tmp_path: Path, content: str) -> None:
    cache = tmp_path / "cache"
    _scan(site, cache)
    (written,) = _cache_files(cache)
    written.write_text(content)
    assert _scan(site, cache) == _uncached(site)
    assert len(json.loads(written.read_text())) == 6  # rewritten whole


def test_entries_of_the_wrong_shape_are_misses(site: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _scan(site, cache)
    (written,) = _cache_files(cache)
    data = json.loads(written.read_text())
    bad = [
        None,
        "text",
        {"h": {"version": "1.0"}, "m": [], "e": False},
        {"h": {"name": ["x"]}, "m": "x", "e": False},
        {"h": {"name": ["x"]}, "m": [], "e": "yes"},
        {"h": {"surprise": ["x"]}, "m": [], "e": False},
    ]
    for key, value in zip(sorted(data), bad, strict=False):
        data[key] = value
    written.write_text(json.dumps(data))
    assert _scan(site, cache) == _uncached(site)


def test_an_unwritable_cache_is_skipped(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert default_cache_dir("dists") == blocker / "compataudit" / "dists"
    assert scan_distributions([str(site)]) == _uncached(site)
    assert blocker.read_text() == "not a directory"


def test_each_scope_has_its_own_file(site: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    other = tmp_path / "other"
    _dist(other, "keras", "2.15.0", module="keras")
    _scan(site, cache)
    assert [(p.name, p.version) for p in _scan(other, cache)] == [("keras", "2.15.0")]
    assert len(_cache_files(cache)) == 2
    assert {p.name: p.version for p in _scan(site, cache)}["keras"] == "3.15.1"


def test_a_names_filter_reads_the_cache_but_does_not_shrink_it(site: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _scan(site, cache)
    (written,) = _cache_files(cache)
    before = written.read_text()
    found = scan_distributions([str(site)], {"keras"}, cache_dir=cache)
    assert [(p.name, p.version) for p in found] == [("keras", "3.15.1")]
    assert written.read_text() == before


def test_the_default_directory_is_under_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "compataudit" / "elf"  # the ELF cache's, unchanged
    assert default_cache_dir("dists") == tmp_path / "compataudit" / "dists"


def test_the_real_environment_cold_warm_and_uncached(tmp_path: Path) -> None:
    uncached = scan_distributions(sys.path, use_cache=False)
    assert len(uncached) > 20
    cold = scan_distributions(sys.path, cache_dir=tmp_path)
    warm = scan_distributions(sys.path, cache_dir=tmp_path)
    assert cold == warm == uncached


def test_an_env_target_is_scanned_through_the_cache_of_its_own_scope(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from compataudit.options import EnvOptions
    from compataudit.sources import build_environment
    from tests.probes.test_target import conda_prefix

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    prefix = conda_prefix(tmp_path)

    def versions() -> dict[str, str]:
        env = build_environment(EnvOptions(env_path=str(prefix)))
        return {p.name: p.version for p in env.packages if p.name in {"torch", "torchvision"}}

    assert versions() == {"torch": "2.1.0", "torchvision": "0.17.0"}
    written = _cache_files(tmp_path / "xdg" / "compataudit" / "dists")  # the host's scan has one too
    assert any("torchvision-0.17.0.dist-info" in key for f in written for key in json.loads(f.read_text()))
    metadata = next(prefix.glob("lib/python3*/site-packages/torchvision-0.17.0.dist-info/METADATA"))
    metadata.write_text(metadata.read_text().replace("0.17.0", "0.17.10"))
    assert versions() == {"torch": "2.1.0", "torchvision": "0.17.10"}
