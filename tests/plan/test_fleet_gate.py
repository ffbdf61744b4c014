"""``fleet`` as a cluster gate: reports as members, --expect, stdin, every format.

The reports are a real ``check --framework torch --format json --redact`` report
of the project's build machine (``report_cpu_vm_torch_smoke.json``, install paths
rewritten), and a generated fleet built from the real snapshot by
``benchmarks/bench_fleet_gate.py`` with planted faults.
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from benchmarks.bench_fleet_gate import judge, write_fleet
from compataudit.cli.app import main
from compataudit.plan.expect import expand, expected_nodes, missing_nodes
from compataudit.plan.fleet import aggregate
from compataudit.plan.members import gpu_by_device, iter_stream_documents, member_problems

FIXTURES = Path(__file__).parent / "fixtures"
REAL_REPORT = FIXTURES / "report_cpu_vm_torch_smoke.json"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def real_report(host: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REAL_REPORT.read_text())
    data["environment"]["platform"]["hostname"] = host
    return data


Edit = Callable[[int, dict[str, Any]], object]


def write_nodes(root: Path, count: int, edit: Edit) -> Path:
    """Real reports of nodes n1..n``count`` in ``root``, report i as ``edit(i, report)`` left it."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(1, count + 1):
        data = real_report(f"n{i}")
        edit(i, data)
        (root / f"n{i}.json").write_text(json.dumps(data))
    return root


def finding_on(nodes: tuple[int, ...], finding: dict[str, str]) -> Edit:
    """An edit adding ``finding`` to the reports of ``nodes``."""

    def edit(i: int, data: dict[str, Any]) -> None:
        if i in nodes:
            data["findings"].append(finding)

    return edit


def four_nodes(root: Path, status: str = "crash") -> Path:
    """The issue's case: four reports with one stack, one with a failed torch smoke kernel."""

    def crash_n3(i: int, data: dict[str, Any]) -> None:
        if i == 3:
            data["smoke"][0].update(status=status, detail="Fatal Python error: Segmentation fault\nmore")
            data["summary"].update(smoke_failed=1, exit_code=1)

    return write_nodes(root, 4, crash_n3)


def test_real_report_smoke_passed() -> None:
    data = real_report("x")
    assert [(r["framework"], r["device"], r["status"]) for r in data["smoke"]] == [("torch", "cpu", "pass")]
    assert member_problems(data, data["environment"], "error") == ()


@pytest.mark.parametrize("status", ["fail", "error", "crash", "timeout"])
def test_failed_smoke_on_the_majority_stack_is_an_outlier(tmp_path: Path, status: str) -> None:
    result = aggregate([str(four_nodes(tmp_path / "r", status))])
    assert len(result.groups) == 1  # one stack, as the issue measured ...
    assert [o.node for o in result.outliers] == ["n3"]  # ... yet n3 is named
    (problem,) = result.outliers[0].problems
    assert (problem.kind, problem.framework, problem.device, problem.status) == (
        "smoke",
        "torch",
        "cpu",
        status,
    )
    assert problem.title == "Fatal Python error: Segmentation fault"  # first line only
    assert result.to_json()["outliers"][0]["problems"][0]["status"] == status


def test_the_issue_case_exits_1_in_every_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = four_nodes(tmp_path / "r")
    for fmt in ("table", "json", "html", "prometheus"):
        code, out, _ = cli(capsys, "fleet", str(root), "--no-checks", "-f", fmt)
        assert code == 1, fmt
        assert "n3" in out, fmt
    code, out, _ = cli(capsys, "fleet", str(root), "--no-checks", "-f", "table")
    assert "smoke torch cpu (AMD EPYC): crash - Fatal Python error" in out


def test_own_findings_count_from_fail_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    warning = {"code": "PKG002", "severity": "warning", "title": "numpy outside range"}
    root = write_nodes(tmp_path / "r", 3, finding_on((2,), warning))
    assert aggregate([str(root)]).outliers == []  # a warning is below the default --fail-on error
    result = aggregate([str(root)], fail_on="warning")
    assert [(o.node, o.problems[0].code) for o in result.outliers] == [("n2", "PKG002")]
    assert cli(capsys, "fleet", str(root), "--no-checks")[0] == 0
    code, out, _ = cli(capsys, "fleet", str(root), "--no-checks", "--fail-on", "warning", "-f", "json")
    assert code == 1 and json.loads(out)["outliers"][0]["problems"][0]["code"] == "PKG002"


def test_a_member_with_a_bad_verdict_field_is_unreadable(tmp_path: Path) -> None:
    data = real_report("n1")
    data["findings"] = [{"code": "X", "severity": "fatal", "title": "?"}]
    (tmp_path / "n1.json").write_text(json.dumps(data))
    result = aggregate([str(tmp_path)])
    assert result.nodes == 0 and "severity 'fatal'" in result.corrupt[0][1]


def test_gpu_behind_a_device_follows_cuda_visible_devices() -> None:
    gpus = [{"index": i, "name": f"G{i}", "uuid": f"GPU-{i}"} for i in range(4)]
    assert gpu_by_device({"nvidia": {"gpus": gpus}})["cuda:3"] == ("G3", "GPU-3", "3")
    seen = gpu_by_device({"nvidia": {"gpus": gpus, "visible_devices": "2,GPU-0"}})
    assert seen["cuda:0"] == ("G2", "GPU-2", "2") and seen["cuda:1"] == ("G0", "GPU-0", "0")
    assert "cuda:2" not in seen


def test_generated_fleet_is_judged_right_in_every_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = write_fleet(tmp_path / "reports", 60)
    for fmt in ("table", "json", "html", "prometheus"):
        code, out, _ = cli(capsys, "fleet", str(tmp_path / "reports"), "--expect", plan["expect"], "-f", fmt)
        assert code == 1, fmt
        assert judge(fmt, out, plan) == [], fmt
    code, out, _ = cli(capsys, "fleet", str(tmp_path / "reports"), "--expect", plan["expect"])
    assert "Missing (expected, sent nothing): gpu[0006,0033,0060]" in out


def test_html_names_every_node_failures_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = write_fleet(tmp_path / "reports", 60)
    _, page, _ = cli(capsys, "fleet", str(tmp_path / "reports"), "--expect", plan["expect"], "-f", "html")
    for i in range(1, 61):
        assert f"gpu{i:04d}" in page
    order = [page.index(h) for h in ("<h2>Missing", "<h2>Failing nodes", "<h2>Outliers", "<h2>Groups")]
    assert order == sorted(order)
    assert "Collected 2026-12-07T23:00:01Z – 2026-12-07T23:00:59Z" in page


def test_identical_failures_are_merged_in_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    error = {"code": "DRV001", "severity": "error", "title": "driver too old"}
    root = write_nodes(tmp_path / "r", 5, finding_on((2, 4), error))
    _, page, _ = cli(capsys, "fleet", str(root), "--no-checks", "-f", "html")
    assert page.count("error DRV001: driver too old") == 1
    assert "<td>2</td><td>n2, n4</td>" in page


def test_expect_file_hostlist_and_short_names(tmp_path: Path) -> None:
    nodes = tmp_path / "nodes.txt"
    nodes.write_text("# the rack\ngpu[01-03]\nb7  # spare\n\ngpu02\n")
    assert expected_nodes(str(nodes)) == ["gpu01", "gpu02", "gpu03", "b7"]
    assert expected_nodes("a[1-3],b7") == ["a1", "a2", "a3", "b7"]
    assert expand("gpu[001-128]")[-1] == "gpu128" and len(expand("gpu[001-128]")) == 128
    assert missing_nodes(["a1", "a2", "a3"], ["a1.cluster.local", "", "a3"]) == ["a2"]


@pytest.mark.parametrize("spec", ["gpu[1-", "missing/nodes.txt"])
def test_bad_expect_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], spec: str) -> None:
    root = four_nodes(tmp_path / "r")
    code, out, err = cli(capsys, "fleet", str(root), "--expect", spec)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "--expect" in err


def test_every_node_missing_still_answers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    code, out, _ = cli(capsys, "fleet", str(tmp_path / "empty"), "--expect", "n[1-2]", "-f", "json")
    assert code == 1 and json.loads(out)["missing"] == ["n1", "n2"]


def test_stdin_json_lines_and_concatenated_documents(tmp_path: Path) -> None:
    docs = [real_report(f"n{i}") for i in range(1, 4)]
    text = (
        json.dumps(docs[0])
        + "\n"
        + json.dumps(docs[1], indent=2)
        + "\ncompataudit: 12 distributions, 0 GPU(s)\n"  # a stray log line from kubectl logs
        + json.dumps(docs[2])
    )
    log_line = json.dumps(docs[1], indent=2).count("\n") + 3
    found = list(iter_stream_documents(io.StringIO(text)))
    assert [(name, why) for name, _, why in found] == [
        ("-#1", ""),
        ("-#2", ""),
        (f"-:{log_line}", "not JSON: a line of text"),  # names the line, skips it
        ("-#3", ""),
    ]
    result = aggregate(["-"], stdin=io.BytesIO(text.encode()))
    assert result.nodes == 3 and len(result.corrupt) == 1
    assert sorted(str(n) for g in result.groups for n, _ in g.nodes) == ["n1", "n2", "n3"]


def test_fleet_dash_reads_stdin_through_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = "".join(json.dumps(real_report(f"n{i}")) + "\n" for i in range(1, 3))
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(lines.encode())))
    code, out, _ = cli(capsys, "fleet", "-", "--no-checks", "--expect", "n[1-3]", "-f", "json")
    data = json.loads(out)
    assert code == 1 and data["nodes"] == 2 and data["missing"] == ["n3"]


def test_reports_and_snapshots_mix(tmp_path: Path) -> None:
    data = real_report("n1")
    snap = copy.deepcopy(data["environment"])
    snap["platform"]["hostname"] = "n2"
    (tmp_path / "n1.json").write_text(json.dumps(data))
    (tmp_path / "n2.json").write_text(json.dumps(snap))
    result = aggregate([str(tmp_path)])
    assert result.nodes == 2 and len(result.groups) == 1 and result.outliers == []


def test_text_from_a_member_cannot_drive_the_terminal(tmp_path: Path) -> None:
    data = real_report("n1")
    data["smoke"][0].update(status="fail", detail="\x1b[2J\x1b]0;owned\x07bad\n::error::x")
    data["findings"].append({"code": "X\x1b[31m", "severity": "error", "title": "t\r\n::set-env"})
    (tmp_path / "n1.json").write_text(json.dumps(data))
    (outlier,) = aggregate([str(tmp_path)]).outliers
    texts = [p.text() for p in outlier.problems]
    assert all(t.isprintable() for t in texts), texts
    assert texts[0].endswith("fail -  [2J ]0;owned bad")  # the detail's first line only
