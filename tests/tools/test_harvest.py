"""tools/harvest.py without the network: grouping the index's files, choosing the wheel to
read, the per-release record and the re-run that keeps what is known."""

from __future__ import annotations

import json
import os
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

    def fake_read(name: str, version: str, python: str, platform: str, index: str) -> dict[str, Any]:
        asked.append(version)
        return {"file": f"{name}-{version}.whl", "requires_python": ">=3.10", "requires_dist": []}

    def fake_newest(name: str, python: str, platforms: list[str], index: str, day: str) -> str:
        return "0.29.2" if python != "3.9" else "0.12.0"

    monkeypatch.setattr(harvest, "read_metadata", fake_read)
    monkeypatch.setattr(harvest, "pip_newest", fake_newest)
    known = {"0.29.0": {"metadata": {"file": "recorded", "requires_dist": ["torch==2.14.0"]}}}
    package = harvest.Package("torchvision", "0.13")
    with ThreadPoolExecutor(max_workers=2) as pool:
        out = harvest.harvest_package(None, "https://pypi.org/simple/", package, known, pool, refresh=False)
    assert asked == ["0.29.2"]
    assert out["releases"]["0.29.0"]["metadata"]["file"] == "recorded"
    # asked per CPython the files name: cp310, cp311, the py3 wheel's >=3.10 and cp39
    newer = ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15")
    assert out["newest_by_python"] == {"3.9": "0.12.0"} | dict.fromkeys(newer, "0.29.2")
    with ThreadPoolExecutor(max_workers=2) as pool:
        harvest.harvest_package(None, "https://pypi.org/simple/", package, known, pool, refresh=True)
    assert sorted(asked) == ["0.29.0", "0.29.2", "0.29.2"]


def test_dump_is_json_with_one_line_per_wheel() -> None:
    text = harvest.dump({"harvested": "2026-12-01", "wheels": [["a.whl", "ff", "2026-01-01"]], "x": {}})
    assert json.loads(text) == {"harvested": "2026-12-01", "wheels": [["a.whl", "ff", "2026-01-01"]], "x": {}}
    assert '  ["a.whl", "ff", "2026-01-01"]' in text


def test_the_pythons_asked_about_are_those_the_wheels_name() -> None:
    # cp tags as they are; a py3 wheel for every minor its Requires-Python admits
    assert harvest.shipped_pythons(FILES[2:5]) == ["3.10", "3.11"]
    pure = [_file("jax-0.12.1-py3-none-any.whl", ">=3.12")]
    assert harvest.shipped_pythons(pure) == ["3.12", "3.13", "3.14", "3.15"]
    assert harvest.platforms_of(FILES[:2]) == ["macosx_14_0_arm64", "manylinux_2_28_x86_64"]
    assert harvest.platforms_of(pure) == ["manylinux_2_28_x86_64"]


def test_pip_index_versions_first_line_is_the_newest() -> None:
    # pip 26's output, as printed for numpy with --python-version 3.12
    out = "numpy (2.5.5)\nAvailable versions: 2.5.5, 2.5.4, 2.5.3\n"
    assert harvest.parse_index_versions("numpy", out) == "2.5.5"
    assert harvest.parse_index_versions("ml-dtypes", "ml-dtypes (0.7.0)\n") == "0.7.0"
    assert harvest.parse_index_versions("numpy", "WARNING: something\n") is None


def test_pip_runs_without_the_machines_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    # a find-links folder, a mirror or an upload-date cap would hide releases
    monkeypatch.setenv("PIP_FIND_LINKS", "/srv/wheelhouse")
    monkeypatch.setenv("PIP_INDEX_URL", "file:///srv/mirror/simple")
    monkeypatch.setenv("PIP_UPLOADED_PRIOR_TO", "2026-11-10")
    monkeypatch.setenv("PIP_CERT", "/etc/ssl/certs/ca-certificates.crt")
    env = harvest.pip_env()
    assert env["PIP_CONFIG_FILE"] == os.devnull
    assert env["PIP_CERT"] == "/etc/ssl/certs/ca-certificates.crt"
    assert not {"PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_UPLOADED_PRIOR_TO"} & set(env)
