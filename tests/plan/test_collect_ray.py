"""``compataudit collect --ray``: on a real local 3-node Ray cluster, and its edges.

The cluster test needs ray (the optional extra) and a network namespace with only
``lo`` (``unshare -n``), where Ray binds 127.0.0.1; elsewhere it skips. ``nox -s ray``
runs it that way:  ``unshare -n sh -c 'ip link set lo up; nox -s ray'`` as root.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from compataudit.cli.app import main
from compataudit.plan.collect_ray import NodeResult, collect, node_command
from compataudit.plan.fleet import aggregate
from tests.plan.slurm_local import loopback_only


def test_node_command() -> None:
    assert node_command(None, redact=False) == ["snapshot"]
    assert node_command(None, redact=True) == ["snapshot", "--redact"]
    assert node_command(["--no-smoke"], redact=False) == ["check", "--format", "json", "--no-smoke"]


def test_without_ray_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(SystemExit) as exc:
        main(["collect", "--ray", "auto", "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and "pip install 'compataudit[ray]'" in err


def test_summary_lists_failed_nodes() -> None:
    from compataudit.plan.collect_ray import CollectResult

    result = CollectResult(
        [NodeResult("a" * 20, "n1", file="x"), NodeResult("b" * 20, "n2", error="timed out")]
    )
    assert result.summary().splitlines() == [
        "1 of 2 alive nodes written, 1 failed",
        "  failed: n2 (bbbbbbbbbbbb): timed out",
    ]


@pytest.mark.cluster
def test_collect_on_a_local_three_node_ray_cluster(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("ray")
    if not loopback_only():
        pytest.skip(
            "needs a network namespace with only lo: unshare -n sh -c 'ip link set lo up; nox -s ray'"
        )
    from ray.cluster_utils import Cluster

    cluster: Any = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    try:
        cluster.add_node(num_cpus=1)
        cluster.add_node(num_cpus=1, num_gpus=2)  # a "GPU" node: Ray must hand the task both
        cluster.wait_for_nodes()
        snaps = tmp_path / "snaps"
        result = collect(cluster.address, snaps)
        assert result.failed == [] and len(result.nodes) == 3
        names = sorted(p.name for p in snaps.iterdir())
        host = result.nodes[0].hostname
        # one hostname on three nodes: three distinct files, by node id
        assert len(names) == 3 and all(n.startswith(f"{host}-") for n in names)
        visible = sorted(
            str(json.loads(p.read_text())["nvidia"].get("visible_devices")) for p in snaps.iterdir()
        )
        assert visible == ["0,1", "None", "None"]  # the GPU node's task got both of its GPUs
        fleet = aggregate([str(snaps)])
        assert fleet.nodes == 3 and len(fleet.groups) == 1 and not fleet.corrupt

        reports = tmp_path / "reports"  # check with arguments after --
        with pytest.raises(SystemExit) as exc:
            main(["collect", "--ray", cluster.address, "-o", str(reports), "--", "--no-smoke"])
        assert exc.value.code == 0, capsys.readouterr().err
        docs = [json.loads(p.read_text()) for p in reports.iterdir()]
        assert len(docs) == 3 and all("findings" in d and d["smoke"] == [] for d in docs)

        bad = collect(cluster.address, tmp_path / "bad", ["--baseline", str(tmp_path / "nope.json")])
        assert len(bad.failed) == 3  # every node exits 2: listed, nothing written
        assert all("exited 2" in (n.error or "") and "baseline" in (n.error or "") for n in bad.failed)
        assert list((tmp_path / "bad").iterdir()) == []
    finally:
        cluster.shutdown()
