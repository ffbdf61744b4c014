"""``fleet`` as a table for people: groups by label, the fingerprint as an id, 80 columns."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from compataudit.formats.fleet import fold_names, render_table
from compataudit.model import Environment, to_jsonable
from compataudit.plan.expect import expand
from compataudit.plan.fleet import aggregate
from tests.plan.plan_helpers import real_env, with_gpus, with_package, write_env


def node(env: Environment, host: str) -> Environment:
    return replace(env, platform=replace(env.platform, hostname=host))


def fleet(root: Path) -> Path:
    """Five nodes on the real snapshot's stack, one with an older torch, one with an older
    driver, torch and numpy, and a report on the majority stack whose torch kernel crashed."""
    base = real_env()
    for i in range(5):
        write_env(root / f"node-{i:02d}.json", node(base, f"node-{i:02d}"))
    write_env(root / "node-05.json", node(with_package(base, "torch", "2.4.1"), "node-05"))
    drifted = with_gpus(
        with_package(with_package(base, "numpy", "1.26.4"), "torch", "2.4.1"), "535.104.05", "12.2"
    )
    write_env(root / "node-06.json", node(drifted, "node-06"))
    smoke = {"framework": "torch", "device": "cpu", "status": "crash", "detail": "killed by SIGSEGV"}
    report = {"environment": to_jsonable(node(base, "node-07")), "findings": [], "smoke": [smoke]}
    (root / "node-07.json").write_text(json.dumps(report))
    return root


def test_groups_are_named_by_label_and_keep_their_id(tmp_path: Path) -> None:
    result = aggregate([str(fleet(tmp_path))])
    text = render_table(result)
    lines = text.splitlines()
    majority, older, drifted = result.groups
    assert [g.label for g in result.groups] == ["majority", "torch 2.4.1", "driver 535.104.05 +2 more"]
    start = lines.index("Groups:")
    header, _rule, *rows = lines[start + 1 : start + 6]
    assert header.split() == ["group", "nodes", "findings", "id", "members"]
    assert rows[0].split() == ["majority", "6", "none", majority.fingerprint, "node-[00-04,07]"]
    assert rows[1].split() == ["torch", "2.4.1", "1", "none", older.fingerprint, "node-05"]
    assert rows[2].startswith("driver 535.104.05 +2 more") and drifted.fingerprint in rows[2]
    # the fingerprint is in the id column only: every other mention is a label
    for g in result.groups:
        assert [ln for ln in lines if g.fingerprint in ln] == [rows[result.groups.index(g)]]
    outliers = lines[lines.index(next(ln for ln in lines if ln.startswith("Outliers"))) :]
    assert any(ln.startswith("node-07") and "majority" in ln and "crash" in ln for ln in outliers)
    assert any(ln.startswith("node-05") and "torch 2.4.1" in ln for ln in outliers)


def test_the_majority_is_named_by_its_nodes(tmp_path: Path) -> None:
    text = render_table(aggregate([str(fleet(tmp_path))]))
    assert "Majority stack (6 nodes): node-[00-04,07]" in text.splitlines()


def test_no_line_passes_80_columns(tmp_path: Path) -> None:
    root = fleet(tmp_path / "f")
    smoke = json.loads((root / "node-07.json").read_text())
    smoke["smoke"][0]["detail"] = "relative error grad_weight 3.1e-01 exceeds the tolerance 1e-04 " * 3
    (root / "node-07.json").write_text(json.dumps(smoke))
    (root / "junk.json").write_text("{")
    for width in (80, 60):
        text = render_table(aggregate([str(root)], expect=[f"node-{i:02d}" for i in range(12)]), width=width)
        too_long = [ln for ln in text.splitlines() if len(ln) > width and str(tmp_path) not in ln]
        assert too_long == [], width  # only a path longer than the line stays whole


def test_equal_groups_say_there_is_no_majority(tmp_path: Path) -> None:
    base = real_env()
    for i in range(4):
        env = base if i % 2 else with_package(base, "torch", "2.4.1")
        write_env(tmp_path / f"n{i}.json", node(env, f"n{i}"))
    text = render_table(aggregate([str(tmp_path)]))
    assert "Largest stack, tied, no majority (torch 2.4.1, 2 nodes): n[0,2]" in text
    assert "majority" not in text.replace("no majority", "")
    assert "Outliers (failed checks on the node, what sets them apart from torch 2.4.1):" in text


def test_long_node_lists_fold_into_whole_hostlist_expressions() -> None:
    names = [f"gpu{i:04d}" for i in range(1, 71) if i % 7]
    lines = fold_names(names, 40)
    assert len(lines) > 1 and all(len(line) <= 40 for line in lines)
    expanded = [n for line in lines for n in expand(line.rstrip(","))]
    assert expanded == names  # every line a valid expression, together every node once
    few = fold_names(names[:60], 76)
    assert few == [
        "gpu[0001-0006,0008-0013,0015-0020,0022-0027,0029-0034,0036-0041,0043-0048],",
        "gpu[0050-0055,0057-0062,0064-0069]",
    ]


def test_a_list_too_long_to_show_says_how_many() -> None:
    names = [f"host-{i}.example" for i in range(0, 4000, 3)]
    lines = fold_names(names, 30)
    assert len(lines) == 6 and lines[-1] == f"... ({len(names)} nodes)"


def test_names_a_hostlist_cannot_hold_are_listed_as_they_are() -> None:
    assert fold_names(["a b", "c"], 80) == ["a b,c"]
