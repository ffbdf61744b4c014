from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from compataudit.audit import make_report
from compataudit.formats.fleet import render_table
from compataudit.model import Environment, Finding, Severity, to_jsonable
from compataudit.plan.fleet import aggregate, iter_input_files, stack_fingerprint
from tests.plan.plan_helpers import real_env, with_gpus, with_package, with_torch_build, write_env


def node(env: Environment, host: str | None) -> Environment:
    return replace(env, platform=replace(env.platform, hostname=host))


def gpu_env() -> Environment:
    env = with_gpus(real_env(), "550.54.14", "12.4", ("NVIDIA H100 80GB HBM3", "9.0"))
    return with_torch_build(env, "2.13.0+cu126", "12.6")


@pytest.fixture
def cluster(tmp_path: Path) -> Path:
    """Ten nodes: seven alike, three different, two of them with a redacted hostname; plus junk."""
    root = tmp_path / "snaps"
    base = gpu_env()
    for i in range(1, 8):
        write_env(root / "rack1" / f"n{i:02d}.json", node(base, f"n{i:02d}"))
    write_env(root / "rack2" / "n08.json", node(with_torch_build(base, "2.13.0+cpu", None), "n08"))
    old_driver = with_gpus(base, "535.104.05", "12.2", ("NVIDIA H100 80GB HBM3", "9.0"))
    write_env(root / "rack2" / "r1.json", node(old_driver, "<host>"))
    write_env(root / "rack2" / "r2.json", node(old_driver, "<host>"))
    report = make_report(node(base, "n10"), [], [])
    (root / "rack2" / "n10-report.json").write_text(json.dumps(to_jsonable(report)))
    junk = root / "junk"
    junk.mkdir()
    (junk / "truncated.json").write_text(json.dumps(to_jsonable(base))[:500])
    (junk / "empty.json").write_text("")
    (junk / "list.json").write_text("[1, 2]")
    (junk / "other.json").write_text('{"name": "not a snapshot"}')
    (junk / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    bad_types = to_jsonable(with_package(base, "zzz-first-of-its-kind", "1.0"))
    bad_types["packages"][0]["requires"] = 5  # only full validation sees this
    (junk / "bad-types.json").write_text(json.dumps(bad_types))
    (root / "README.txt").write_text("not json, not a .json file: ignored")
    return root


class CountingChecker:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, env: Environment) -> Sequence[Finding]:
        self.calls += 1
        if env.nvidia.driver_version == "535.104.05":
            return [
                Finding(
                    code="DRV001",
                    severity=Severity.ERROR,
                    title="driver too old",
                    components=("torch", "nvidia-driver"),
                )
            ]
        return []


def test_groups_majority_outliers_and_corrupt(cluster: Path) -> None:
    checker = CountingChecker()
    result = aggregate([str(cluster)], checker)
    assert result.nodes == 11
    assert [len(g.nodes) for g in result.groups] == [8, 2, 1]
    assert checker.calls == 3  # once per group, not per node
    data = result.to_json()
    majority = data["groups"][0]
    assert data["majority"] == majority["fingerprint"]
    assert majority["stack"]["torch"] == "2.13.0+cu126"
    assert majority["stack"]["nvidia-driver"] == "550.54.14"
    assert "n10" in majority["members"]  # a report counts as a node
    outliers = {o["node"]: o for o in data["outliers"]}
    assert set(outliers) == {"n08", str(cluster / "rack2" / "r1.json"), str(cluster / "rack2" / "r2.json")}
    assert outliers["n08"]["differences"] == [
        {"component": "torch", "before": "2.13.0+cu126", "after": "2.13.0+cpu", "kind": "variant"},
        {"component": "torch build", "before": "CUDA 12.6", "after": "CPU", "kind": "changed"},
    ]
    r1 = outliers[str(cluster / "rack2" / "r1.json")]
    assert r1["differences"] == [
        {"component": "nvidia-driver", "before": "550.54.14", "after": "535.104.05", "kind": "downgraded"}
    ]
    old_group = next(g for g in data["groups"] if g["fingerprint"] == r1["group"])
    assert [f["code"] for f in old_group["findings"]] == ["DRV001"]
    corrupt = {Path(c["file"]).name: c["error"] for c in data["corrupt"]}
    assert set(corrupt) == {
        "truncated.json",
        "empty.json",
        "list.json",
        "other.json",
        "binary.json",
        "bad-types.json",
    }
    assert "not JSON" in corrupt["truncated.json"]
    assert "requires" in corrupt["bad-types.json"]


def test_table_names_outliers_and_corrupt_files(cluster: Path) -> None:
    text = render_table(aggregate([str(cluster)], CountingChecker()))
    assert text.startswith("11 nodes, 3 distinct stacks, 6 unreadable files")
    assert "n08" in text and "torch: 2.13.0+cu126 -> 2.13.0+cpu" in text
    assert "DRV001" in text and "truncated.json" in text


def test_globs_files_and_missing_paths(cluster: Path) -> None:
    args = [
        str(cluster / "rack1" / "n0[1-3].json"),
        str(cluster / "rack2" / "n08.json"),
        str(cluster / "rack1" / "n01.json"),
        str(cluster / "nowhere.json"),
        str(cluster / "*.nomatch"),
    ]
    found = list(iter_input_files(args))
    assert [Path(f).name for f, why in found if why is None] == [
        "n01.json",
        "n02.json",
        "n03.json",
        "n08.json",
    ]  # n01 once
    assert [why for _, why in found if why] == ["no such file or directory", "no files match this pattern"]
    result = aggregate(args)
    assert result.nodes == 4 and len(result.corrupt) == 2
    assert [len(g.nodes) for g in result.groups] == [3, 1]


def test_recursive_glob(cluster: Path) -> None:
    result = aggregate([str(cluster / "**" / "n*.json")])
    assert result.nodes == 9


def test_single_stack_has_no_outliers(cluster: Path) -> None:
    result = aggregate([str(cluster / "rack1")])
    assert (result.nodes, len(result.groups), result.outliers) == (7, 1, [])
    assert result.to_json()["groups"][0]["share"] == 1.0


def test_fingerprint_ignores_leaf_packages_and_hosts() -> None:
    env = gpu_env()
    a = stack_fingerprint(to_jsonable(node(env, "a")))
    b = stack_fingerprint(to_jsonable(node(with_package(env, "requests", "0.1"), "b")))
    c = stack_fingerprint(to_jsonable(with_package(env, "numpy", "1.26.4")))
    d = stack_fingerprint(to_jsonable(replace(env, python=replace(env.python, version="3.11.9"))))
    assert a == b == d  # leaf packages, hostnames, Python patch level: same stack
    assert a != c
    assert dict(a)["python"] == "3.11"


def test_an_outliers_differences_are_one_per_line() -> None:
    from compataudit.formats.fleet import render_table
    from compataudit.plan.diff import Change
    from compataudit.plan.fleet import FleetResult, Outlier

    outlier = Outlier(
        "node-9",
        "node-9.json",
        "abc",
        (
            Change("torch", "2.5.1", "2.4.1", "downgraded", 2),
            Change("numpy", "2.1.0", "1.26.4", "downgraded", 3),
        ),
    )
    text = render_table(FleetResult(nodes=2, groups=[], outliers=[outlier], corrupt=[("x.json", "not JSON")]))
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("node-9"))
    assert lines[first].endswith("torch: 2.5.1 -> 2.4.1")
    assert lines[first + 1].strip() == "numpy: 2.1.0 -> 1.26.4" and not lines[first + 1].startswith("node")


def test_finding_counts_speak_like_the_run_summary() -> None:
    from compataudit.plan.fleet import finding_counts
    from compataudit.rules import finding

    one_each = [finding("DRV001", "a"), finding("DRV002", "b"), finding("MAT001", "c")]
    assert finding_counts(one_each) == "1 error, 1 warning, 1 info"
    assert finding_counts(one_each * 2) == "2 errors, 2 warnings, 2 info"
    assert finding_counts([]) == "none"
