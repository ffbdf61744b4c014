"""tools/harvest.py without the network: grouping the index's files, choosing the wheel to
read, the per-release record and the re-run that keeps what is known."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tools import harvest


def _file(
    name: str, python: str | None = ">=3.10", day: str = "2026-10-28", yanked: bool = False
) -> dict[str, Any]:
    return {"file": name, "sha256": "ab" * 32, "requires_python": python, "uploaded": day, "yanked": yanked}


# real file names of torchvision 0.29.x and torch 2.15.0 on PyPI
FILES = [
    _file("torchvision-0.29.2-py3-none-manylinux_2_28_x86_64.whl", ">=3.10,!=3.14.1"),
    _file("torchvision-0.29.2-py3-none-macosx_14_0_arm64.whl", ">=3.10,!=3.14.1"),
    _file("torchvision-0.29.0-cp311-cp311-manylinux_2_28_x86_64.whl", day="2026-09-02"),
    _file("torchvision-0.29.0-cp310-cp310-win_amd64.whl", day="2026-09-02"),
    _file("torchvision-0.29.0-cp310-cp310-manylinux_2_28_x86_64.whl", day="2026-09-01"),
    _file("torchvision-0.30.0rc1-cp311-cp311-manylinux_2_28_x86_64.whl"),
    _file("torchvision-0.12.0-cp39-cp39-manylinux1_x86_64.whl", ">=3.7"),
    _file("not-a-wheel-name.whl"),
]


def test_final_releases_since_the_floor_grouped_by_version() -> None:
    found = harvest.releases_of(FILES, "0.13")
    assert list(found) == ["0.29.0", "0.29.2"]  # no rc, nothing before 0.13, no junk
    assert found["0.29.0"][0]["file"].endswith("cp310-cp310-manylinux_2_28_x86_64.whl")


def test_the_wheel_read_is_linux_x86_64_at_its_oldest_cpython() -> None:
    found = harvest.releases_of(FILES, "0.13")
    assert harvest.pick_target(found["0.29.0"]) == ("3.10", "manylinux_2_28_x86_64")
    # a pure-Python wheel: the oldest Python its Requires-Python admits
    assert harvest.pick_target(found["0.29.2"]) == ("3.10", "manylinux_2_28_x86_64")
    free_threaded = [
        _file("torch-2.15.0-cp314-cp314t-manylinux_2_28_x86_64.whl"),
        _file("torch-2.15.0-cp315-cp315-manylinux_2_28_x86_64.whl"),
    ]
    assert harvest.pick_target(free_threaded) == ("3.15", "manylinux_2_28_x86_64")
    assert harvest.pick_target([_file("tensorflow_intel-2.18.0-cp312-cp312-win_amd64.whl")]) == (
        "3.12",
        "win_amd64",
    )


def test_release_record_keeps_every_wheel_and_the_first_upload_day() -> None:
    record = harvest.release_record(harvest.releases_of(FILES, "0.13")["0.29.0"])
    assert record["uploaded"] == "2026-09-01"
    assert record["python_tags"] == ["cp310", "cp311"]
    assert record["requires_python"] == ">=3.10"
    assert len(record["wheels"]) == 3 and "yanked" not in record
    mixed = harvest.release_record(
        [
            _file("a-1.0-py3-none-any.whl", ">=3.9", yanked=True),
            _file("a-1.0-cp39-cp39-win_amd64.whl", ">=3.8", yanked=True),
        ]
    )
    assert mixed["requires_python"] is None and mixed["yanked"] is True
    assert set(mixed["requires_python_by_wheel"].values()) == {">=3.9", ">=3.8"}


def test_a_rerun_reuses_the_recorded_metadata_and_asks_only_about_new_releases(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(harvest, "index_files", lambda collector, index, name: FILES)
    asked: list[str] = []

    def fake_read(name: str, version: str, python: str, platform: str) -> dict[str, Any]:
        asked.append(version)
        return {"file": f"{name}-{version}.whl", "requires_python": ">=3.10", "requires_dist": []}

    monkeypatch.setattr(harvest, "read_metadata", fake_read)
    known = {"0.29.0": {"metadata": {"file": "recorded", "requires_dist": ["torch==2.14.0"]}}}
    package = harvest.Package("torchvision", "0.13")
    with ThreadPoolExecutor(max_workers=2) as pool:
        out = harvest.harvest_package(None, "https://pypi.org/simple/", package, known, pool, refresh=False)
    assert asked == ["0.29.2"]
    assert out["releases"]["0.29.0"]["metadata"]["file"] == "recorded"
    with ThreadPoolExecutor(max_workers=2) as pool:
        harvest.harvest_package(None, "https://pypi.org/simple/", package, known, pool, refresh=True)
    assert sorted(asked) == ["0.29.0", "0.29.2", "0.29.2"]


def test_dump_is_json_with_one_line_per_wheel() -> None:
    text = harvest.dump({"harvested": "2026-12-01", "wheels": [["a.whl", "ff", "2026-01-01"]], "x": {}})
    assert json.loads(text) == {"harvested": "2026-12-01", "wheels": [["a.whl", "ff", "2026-01-01"]], "x": {}}
    assert '  ["a.whl", "ff", "2026-01-01"]' in text
