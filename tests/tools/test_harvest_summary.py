"""tools/harvest_summary.py offline: two harvest folders in, the pull request's Markdown out.

The folders hold the real records of jax 0.12.0.1 / 0.12.1 (matrices/harvested/jax.json of
2026-12-01 and of 2026-12-07), cut down to what the summary reads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tools import harvest_summary

JAX_0120_1 = {
    "uploaded": "2026-10-21",
    "requires_python": ">=3.12",
    "metadata": {"requires_dist": ["jaxlib<=0.12.0.1,>=0.11.2", "numpy>=2.2"]},
}
JAX_0121 = {
    "uploaded": "2026-11-18",
    "requires_python": ">=3.12",
    "metadata": {"requires_dist": ["jaxlib<=0.12.1,>=0.12.1", "numpy>=2.2"]},
}


def _write(folder: Path, day: str, packages: dict[str, Any]) -> Path:
    folder.mkdir(parents=True)
    (folder / "jax.json").write_text(json.dumps({"harvested": day, "packages": packages}))
    return folder


def test_new_releases_changed_facts_and_the_newest_per_python(tmp_path: Path) -> None:
    old = _write(
        tmp_path / "old",
        "2026-12-01",
        {
            "jax": {"releases": {"0.12.0.1": JAX_0120_1}, "newest_by_python": {"3.12": "0.12.0.1"}},
            "jaxlib": {"releases": {"0.12.0.1": {"requires_python": ">=3.11"}}},
        },
    )
    yanked = dict(JAX_0120_1, yanked=True)
    new = _write(
        tmp_path / "new",
        "2026-12-07",
        {
            "jax": {
                "releases": {"0.12.0.1": yanked, "0.12.1": JAX_0121},
                "newest_by_python": {"3.11": "0.10.2", "3.12": "0.12.1"},
            },
            "jaxlib": {"releases": {"0.12.0.1": {"requires_python": ">=3.12"}}},
            "ml-dtypes": {"releases": {"0.6.0": {}, "0.7.0": {}}, "newest_by_python": {"3.12": "0.7.0"}},
        },
    )
    text, changed = harvest_summary.summarise(old, new)
    assert changed == 3
    assert text.startswith("## Data refresh: harvest of 2026-12-07\n")
    assert "1 new release(s) in 1 package(s); 2 changed fact(s)" in text
    assert "1 package(s) harvested for the first time" in text
    assert "- new: 0.12.1 (uploaded 2026-11-18, Requires-Python >=3.12)" in text
    assert "- changed: 0.12.0.1: yanked False -> True" in text
    assert "- changed: 0.12.0.1: Requires-Python >=3.11 -> >=3.12" in text
    assert "- newest release per CPython: 3.11 - -> 0.10.2, 3.12 0.12.0.1 -> 0.12.1" in text
    assert "### ml-dtypes\n- harvested for the first time: 2 releases, 0.6.0 to 0.7.0" in text


def test_an_unreadable_metadata_is_not_a_changed_fact_and_nothing_changed_is_quiet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _write(tmp_path / "old", "2026-12-01", {"jax": {"releases": {"0.12.1": JAX_0121}}})
    broken = dict(JAX_0121, metadata={"error": "pip: timed out"})
    new = _write(tmp_path / "new", "2026-12-07", {"jax": {"releases": {"0.12.1": broken}}})
    text, changed = harvest_summary.summarise(old, new)
    assert changed == 0 and "0 new release(s)" in text
    assert harvest_summary.main(["--old", str(old), "--new", str(new), "--quiet"]) == 0
    assert capsys.readouterr().out == ""


def test_a_release_gone_from_the_index_and_a_package_no_longer_harvested(tmp_path: Path) -> None:
    old = _write(
        tmp_path / "old",
        "2026-12-01",
        {
            "jax": {"releases": {"0.12.0.1": JAX_0120_1, "0.12.1": JAX_0121}},
            "jax-cuda12-pjrt": {"releases": {}},
        },
    )
    new = _write(tmp_path / "new", "2026-12-07", {"jax": {"releases": {"0.12.1": JAX_0121}}})
    text, changed = harvest_summary.summarise(old, new)
    assert changed == 2
    assert "- gone from the index: 0.12.0.1" in text
    assert "- no longer harvested: jax-cuda12-pjrt" in text


def test_bad_folders_are_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert harvest_summary.main(["--old", str(tmp_path / "missing"), "--new", str(tmp_path)]) == 2
    assert "not a folder" in capsys.readouterr().err
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "jax.json").write_text("{not json")
    with pytest.raises(SystemExit, match=r"harvest_summary: .*jax\.json"):
        harvest_summary.summarise(tmp_path / "bad", tmp_path / "bad")


def test_the_weekly_workflow_runs_the_harvest_the_tests_and_this_summary() -> None:
    import yaml

    root = Path(__file__).resolve().parents[2]
    workflow = yaml.safe_load((root / ".github/workflows/refresh-data.yml").read_text())
    assert workflow[True]["schedule"][0]["cron"].endswith("* * 1")  # `on:` is YAML's True
    steps = workflow["jobs"]["refresh"]["steps"]
    script = "\n".join(str(s.get("run", "")) for s in steps)
    for needed in ("tools/harvest.py", "tools/harvest_summary.py", "tests/test_harvest_crosscheck.py"):
        assert needed in script
        assert (root / needed).is_file()
    opened = [s for s in steps if str(s.get("uses", "")).startswith("peter-evans/create-pull-request")]
    assert opened and opened[0]["with"]["body-path"].endswith("summary.md")
