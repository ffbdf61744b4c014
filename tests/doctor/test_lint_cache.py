"""lint's per-file cache and worker pool: same answers, safe under bad caches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from compataudit.doctor import cache
from compataudit.doctor.lint import lint_paths
from compataudit.doctor.lint_run import summarize_bytes

BUGGY = b"import torch.nn as nn\nclass Net(nn.Module):\n    def foward(self, x):\n        return x\n"


def _entries(where: Path) -> list[Path]:
    return sorted(where.rglob("*.json"))


def _answer(paths: list[str], **kwargs: object) -> list[tuple[str, int, str]]:
    return [(Path(p.path).name, p.line, p.kind) for p in lint_paths(paths, **kwargs).problems]  # type: ignore[arg-type]


def test_default_cache_dir_honours_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.default_cache_dir() == tmp_path / "compataudit" / "lint"


def test_a_second_run_reads_the_cache(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "m.py").write_bytes(BUGGY)
    where = tmp_path / "cache"
    assert _answer([str(tmp_path / "src")], cache_dir=where) == [("m.py", 2, "missing-forward")]
    (entry,) = _entries(where)
    assert not list(where.rglob(".tmp-*"))  # atomic writes leave no temp files
    # Tamper with the entry: the answer follows it, so the file was not parsed again.
    entry.write_text(entry.read_text().replace('"foward"', '"encode"'))
    assert _answer([str(tmp_path / "src")], cache_dir=where) == []
    (tmp_path / "src" / "m.py").write_bytes(BUGGY + b"\n")  # new bytes, new key: parsed
    assert _answer([str(tmp_path / "src")], cache_dir=where) == [("m.py", 2, "missing-forward")]


@pytest.mark.parametrize(
    "garbage",
    ["", "{not json", "[]", '{"tag": "x"}', None],
    ids=["empty", "broken-json", "wrong-type", "other-version", "wrong-shape"],
)
def test_a_corrupt_or_foreign_entry_is_a_miss(tmp_path: Path, garbage: str | None) -> None:
    src = tmp_path / "m.py"
    src.write_bytes(BUGGY)
    where = tmp_path / "cache"
    expected = _answer([str(src)], cache_dir=False)
    _answer([str(src)], cache_dir=where)
    (entry,) = _entries(where)
    if garbage is None:  # right tag and key, broken summary
        raw = json.loads(entry.read_text())
        raw["summary"] = {"classes": 3}
        garbage = json.dumps(raw)
    entry.write_text(garbage)
    assert _answer([str(src)], cache_dir=where) == expected
    assert json.loads(entry.read_text())["summary"]["classes"]  # rewritten, valid again


def test_an_unwritable_cache_is_skipped_silently(tmp_path: Path) -> None:
    src = tmp_path / "m.py"
    src.write_bytes(BUGGY)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory would go")
    assert _answer([str(src)], cache_dir=blocker / "cache") == [("m.py", 2, "missing-forward")]
    assert blocker.read_text().startswith("a file")


def test_no_cache_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    src = tmp_path / "m.py"
    src.write_bytes(BUGGY)
    lint_paths([str(src)], cache_dir=False)
    assert not (tmp_path / "xdg").exists()
    lint_paths([str(src)])  # the default: the user cache directory
    assert _entries(tmp_path / "xdg")


def test_the_key_covers_the_bytes_and_the_versions() -> None:
    assert cache.content_key(b"a") != cache.content_key(b"b")
    assert cache.content_key(b"a") == cache.content_key(b"a")


def test_summaries_round_trip_through_json() -> None:
    fixture = Path(__file__).parents[1] / "fixtures" / "lint" / "rules" / "keras_layers.py"
    summary, _ = summarize_bytes(fixture.read_bytes(), "m.py")
    assert summary is not None
    assert cache.from_json(json.loads(json.dumps(asdict(summary)))) == summary


def test_the_worker_pool_gives_the_same_answer_as_one_process(tmp_path: Path) -> None:
    for i in range(60):  # above the pool threshold
        body = BUGGY if i % 7 == 0 else b"import torch.nn as nn\nclass Ok(nn.Module):\n    pass\n"
        (tmp_path / f"m{i:02d}.py").write_bytes(body)
    (tmp_path / "bad.py").write_bytes(b"def f(:\n")
    one = _answer([str(tmp_path)], jobs=1, cache_dir=False)
    assert _answer([str(tmp_path)], jobs=2, cache_dir=False) == one
    assert len(one) == 10  # 9 near misses and the syntax error


def test_the_cli_pool_ends_quietly(tmp_path: Path) -> None:
    # The CLI installs signal handlers that forked workers inherit; ending the pool
    # must not print their tracebacks.
    for i in range(60):
        (tmp_path / f"m{i:02d}.py").write_bytes(BUGGY)
    proc = subprocess.run(
        [sys.executable, "-m", "compataudit", "lint", str(tmp_path), "-j", "2", "--no-cache"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr == ""
    assert "60 file(s) linted: 60 error(s)" in proc.stdout


def test_entries_of_other_versions_are_pruned_once_stale(tmp_path: Path) -> None:
    where = tmp_path / "cache"
    src = tmp_path / "m.py"
    src.write_bytes(BUGGY)
    lint_paths([str(src)], cache_dir=where)
    (current,) = list(where.iterdir())
    old, recent = where / "compataudit-0.0.1-summary-0-x", where / "compataudit-0.0.2-summary-0-y"
    for folder in (old, recent):
        (folder / "ab").mkdir(parents=True)
        (folder / "ab" / "k.json").write_text("{}")
    stale = time.time() - (cache.STALE_AFTER_DAYS + 1) * 86400
    os.utime(old, (stale, stale))
    os.utime(current, (stale, stale))  # the running version's folder always stays
    (where / "unrelated").mkdir()
    assert cache.prune(where) == 1
    assert sorted(p.name for p in where.iterdir()) == sorted([current.name, recent.name, "unrelated"])
    assert cache.prune(tmp_path / "absent") == 0


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,  # deeper than the JSON parser goes
        b'{"tag": "T", "key": "K", "summary": {"classes": 5}}',
        b'{"tag": "T", "key": "K", "summary": "x"}',
        b"\xff\xfe",
    ],
)
def test_a_malformed_entry_is_a_miss(tmp_path: Path, body: bytes) -> None:
    data = b"import torch\n"
    key = cache.content_key(data)
    entry = cache._entry(tmp_path, key)
    entry.parent.mkdir(parents=True)
    entry.write_bytes(
        body.replace(b'"T"', json.dumps(cache._TAG).encode()).replace(b'"K"', json.dumps(key).encode())
    )
    assert cache.load(tmp_path, key) is None


def test_an_entry_of_the_wrong_element_types_is_a_miss(tmp_path: Path) -> None:
    data = b"import torch\nclass M(torch.nn.Module):\n    pass\n"
    summary, _ = summarize_bytes(data, "m.py")
    assert summary is not None
    key = cache.content_key(data)
    assert cache.store(tmp_path, key, summary) and cache.load(tmp_path, key) == summary
    raw = json.loads(cache._entry(tmp_path, key).read_text())
    raw["summary"]["called"] = [5]  # a list of the right shape, holding the wrong type
    cache._entry(tmp_path, key).write_text(json.dumps(raw))
    assert cache.load(tmp_path, key) is None


def test_a_fifo_entry_is_a_miss_not_a_hang(tmp_path: Path) -> None:
    key = cache.content_key(b"x")
    entry = cache._entry(tmp_path, key)
    entry.parent.mkdir(parents=True)
    os.mkfifo(entry)
    assert cache.load(tmp_path, key) is None
