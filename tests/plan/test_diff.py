from __future__ import annotations

from dataclasses import replace

import pytest

from compataudit.audit import make_report
from compataudit.formats.diff import render_table
from compataudit.model import Finding, Severity, SmokeResult, SmokeStatus
from compataudit.plan.diff import (
    TIER_FRAMEWORK,
    TIER_LEAF,
    TIER_RUNTIME,
    classify,
    diff,
    diff_environments,
    package_tier,
)
from tests.envs import environment
from tests.plan.plan_helpers import real_env, with_gpus, with_package, with_torch_build


@pytest.mark.parametrize(
    ("before", "after", "kind"),
    [
        (None, "2.5.1", "added"),
        ("2.5.1", None, "removed"),
        ("2.4.1", "2.5.1", "upgraded"),
        ("2.5.1+cu124", "2.4.0+cu121", "downgraded"),
        ("2.5.1+cu124", "2.5.1+cpu", "variant"),
        ("2.5.1", "2.5.1+cu118", "variant"),
        ("535.104.05", "550.54.14", "upgraded"),
        ("570.124.06", "570.86.15", "downgraded"),
        ("CUDA 12.4", "CPU", "changed"),
    ],
)
def test_classify(before: str | None, after: str | None, kind: str) -> None:
    assert classify(before, after) == kind


def test_identical_real_snapshots() -> None:
    result = diff(real_env(), real_env(), [], [])
    assert result.identical
    assert result.to_json()["changes"] == []


def test_hostnames_paths_and_timestamps_do_not_matter() -> None:
    env = real_env()
    other = replace(
        env,
        created_at="2030-01-01T00:00:00+00:00",
        platform=replace(env.platform, hostname="elsewhere"),
        python=replace(env.python, executable="/opt/py/bin/python"),
    )
    assert diff_environments(env, other) == []


def test_cuda_node_versus_cpu_node_most_relevant_first() -> None:
    cpu = real_env()
    gpu = with_gpus(cpu, "550.54.14", "12.4", ("NVIDIA A100-SXM4-80GB", "8.0"))
    gpu = with_torch_build(gpu, "2.13.0+cu130", "13.0")
    gpu = with_package(gpu, "requests", "2.0.0")
    gpu = with_package(gpu, "numpy", "2.3.0")
    changes = [c.to_json() for c in diff_environments(cpu, gpu)]
    components = [c["component"] for c in changes]
    # hardware before the framework, the framework before runtime libraries, leaves last
    assert components.index("nvidia-driver") < components.index("torch")
    assert components.index("gpu") < components.index("torch build")
    assert components.index("torch") < components.index("numpy")
    assert components[-1] == "requests"
    by = {c["component"]: c for c in changes}
    assert by["torch"] == {
        "component": "torch",
        "before": "2.13.0+cpu",
        "after": "2.13.0+cu130",
        "kind": "variant",
    }
    assert by["torch build"]["before"] == "CPU" and by["torch build"]["after"] == "CUDA 13.0"
    assert by["gpu"]["after"] == "1x NVIDIA A100-SXM4-80GB (cc 8.0)"
    assert by["nvidia-driver"]["kind"] == "added"
    assert by["numpy"]["kind"] == "downgraded"


def test_gpu_count_and_removed_package() -> None:
    one = with_gpus(real_env(), "535.104.05", "12.2", ("Tesla V100-SXM2-16GB", "7.0"))
    two = with_gpus(
        real_env(), "535.104.05", "12.2", ("Tesla V100-SXM2-16GB", "7.0"), ("Tesla V100-SXM2-16GB", "7.0")
    )
    two = with_package(two, "jax", None)
    changes = {c.component: c for c in diff_environments(one, two)}
    assert changes["gpu"].after == "2x Tesla V100-SXM2-16GB (cc 7.0)"
    assert changes["jax"].kind == "removed"
    assert "nvidia-driver" not in changes


def test_findings_only_on_one_side_and_smoke() -> None:
    env = real_env()
    drv = Finding(
        code="DRV001",
        severity=Severity.ERROR,
        title="driver too old for torch",
        components=("torch", "nvidia-driver"),
    )
    drv_other_numbers = replace(drv, title="driver 470 too old for torch 2.5")
    npy = Finding(
        code="NPY001",
        severity=Severity.ERROR,
        title="numpy 2 with old tf",
        components=("numpy", "tensorflow"),
    )
    rep_a = make_report(env, [drv], [SmokeResult("torch", "cpu", SmokeStatus.PASS)])
    rep_b = make_report(env, [drv_other_numbers, npy], [SmokeResult("torch", "cpu", SmokeStatus.CRASH)])
    result = diff(env, env, rep_a.findings, rep_b.findings, rep_a, rep_b)
    assert not result.identical
    assert result.findings_only_in_a == ()
    assert result.findings_only_in_b == (npy,)
    smoke = [c for c in result.changes if c.component.startswith("smoke")]
    assert [(c.component, c.before, c.after) for c in smoke] == [("smoke torch cpu float32", "pass", "crash")]
    table = render_table(result, "a.json", "b.json")
    assert "Findings only in b.json:" in table and "NPY001" in table
    assert "smoke torch cpu float32" in table


def test_table_for_identical() -> None:
    assert (
        render_table(diff(real_env(), real_env(), [], []), "x", "y")
        == "No differences that matter between x and y."
    )


@pytest.mark.parametrize(
    ("name", "tier"),
    [
        ("torch", TIER_FRAMEWORK),
        ("jax-cuda12-plugin", TIER_FRAMEWORK),
        ("tensorflow-io-gcs-filesystem", TIER_FRAMEWORK),
        ("numpy", TIER_RUNTIME),
        ("nvidia-cudnn-cu12", TIER_RUNTIME),
        ("nvidia-ml-py", TIER_LEAF),
        ("requests", TIER_LEAF),
    ],
)
def test_package_tier(name: str, tier: int) -> None:
    assert package_tier(name) == tier


def test_render_ranks_the_stack_first_and_counts_the_rest() -> None:
    from compataudit.formats.diff import render_table
    from compataudit.plan.diff import Change, DiffResult

    changes = [
        Change("certifi", "2024.1", "2025.1", "upgraded", 6),
        Change("pytest", "8.0", "8.1", "upgraded", 6),
        Change("numpy", "1.26.4", "2.1.0", "upgraded", 3),
        Change("torchvision", "0.19.1", "0.20.1", "upgraded", 2),
        Change("torch", "2.4.1", "2.5.1", "upgraded", 2),
    ]
    changes.sort(key=lambda c: c.tier)
    result = DiffResult(changes=tuple(changes), findings_only_in_a=(), findings_only_in_b=())
    text = render_table(result, "a.json", "b.json")
    assert "certifi" not in text and "pytest" not in text
    assert "... and 2 other packages changed (-v lists them)" in text
    assert "certifi" in render_table(result, "a.json", "b.json", verbose=1)
    same = render_table(result, "x.json", "x.json")
    assert "A (x.json)" in same and "B (x.json)" in same


def test_diff_orders_the_audited_stack_before_other_packages_of_its_tier() -> None:
    from compataudit.plan.diff import compare_facts, facts

    before = environment(("torch", "2.4.1"), ("keras", "3.1"), python="3.11")
    after = environment(("torch", "2.5.1"), ("keras", "3.2"), python="3.11")
    changes = compare_facts(facts(before), facts(after))
    assert [c.component for c in changes][:2] == ["torch", "keras"]
