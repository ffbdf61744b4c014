"""Fleet groups named by what they are: ``majority``, or what sets a group apart."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from compataudit.model import Environment, to_jsonable
from compataudit.plan.fleet import aggregate, stack_fingerprint
from compataudit.plan.fleet_labels import MAJORITY, group_labels, item
from tests.plan.plan_helpers import real_env, with_gpus, with_package, with_torch_build, write_env

REAL_REPORT = Path(__file__).parent / "fixtures" / "report_cpu_vm_torch_smoke.json"


def node(env: Environment, host: str) -> Environment:
    return replace(env, platform=replace(env.platform, hostname=host))


def stack(env: Environment) -> dict[str, str]:
    return dict(stack_fingerprint(to_jsonable(env)))


def write_nodes(root: Path, envs: list[Environment]) -> Path:
    for i, env in enumerate(envs):
        write_env(root / f"n{i:02d}.json", node(env, f"n{i:02d}"))
    return root


def labels_of(root: Path) -> list[tuple[str, int]]:
    return [(g.label, len(g.nodes)) for g in aggregate([str(root)]).groups]


def test_majority_and_one_difference(tmp_path: Path) -> None:
    base = real_env()
    older = with_package(base, "torch", "2.4.1")
    root = write_nodes(tmp_path, [base, base, older, base])
    assert labels_of(root) == [(MAJORITY, 3), ("torch 2.4.1", 1)]
    data = aggregate([str(root)]).to_json()
    majority, other = data["groups"]
    assert (majority["label"], other["label"]) == ("majority", "torch 2.4.1")
    assert data["majority"] == majority["fingerprint"] != other["fingerprint"]  # the id stays
    (outlier,) = data["outliers"]
    assert (outlier["node"], outlier["group"], outlier["group_label"]) == (
        "n02",
        other["fingerprint"],
        "torch 2.4.1",
    )


def test_several_differences_most_relevant_first_then_a_count(tmp_path: Path) -> None:
    base = real_env()
    drifted = with_gpus(
        with_package(with_package(base, "numpy", "1.26.4"), "torch", "2.4.1"), "535.104.05", "12.2"
    )
    root = write_nodes(tmp_path, [base, base, drifted])
    # the driver (hardware) before torch (a framework) before numpy (runtime)
    assert labels_of(root)[1] == ("driver 535.104.05 +2 more", 1)
    outlier = aggregate([str(root)]).outliers[0]
    assert [c.component for c in outlier.differences] == ["nvidia-driver", "torch", "numpy"]


def test_groups_that_share_their_first_difference_show_the_next(tmp_path: Path) -> None:
    base = real_env()
    old = with_package(base, "torch", "2.4.1")
    a = with_package(old, "numpy", "1.26.4")
    b = with_package(old, "numpy", "1.26.3")
    root = write_nodes(tmp_path, [base, base, base, a, a, b])
    assert labels_of(root) == [
        (MAJORITY, 3),
        ("torch 2.4.1, numpy 1.26.4", 2),
        ("torch 2.4.1, numpy 1.26.3", 1),
    ]


def test_a_shared_first_difference_with_one_group_stopping_there(tmp_path: Path) -> None:
    base = real_env()
    old = with_package(base, "torch", "2.4.1")
    root = write_nodes(tmp_path, [base, base, base, old, old, with_package(old, "numpy", "1.26.4")])
    assert [label for label, _ in labels_of(root)] == [MAJORITY, "torch 2.4.1", "torch 2.4.1 +1 more"]


def test_equal_groups_have_no_majority(tmp_path: Path) -> None:
    base = real_env()
    older = with_package(base, "torch", "2.4.1")
    root = write_nodes(tmp_path, [base, older, base, older])
    result = aggregate([str(root)])
    assert not result.has_majority
    # each tied group by its own value: neither is called the majority
    assert [(g.label, len(g.nodes)) for g in result.groups] == [("torch 2.13.0+cpu", 2), ("torch 2.4.1", 2)]


def test_a_three_way_tie_and_a_smaller_group() -> None:
    base = stack(real_env())
    b = {**base, "torch": "2.4.1"}
    c = {**base, "numpy": "1.26.4"}
    small = {**base, "jax": "0.4.30"}
    labels = group_labels([(base, 2), (b, 2), (c, 2), (small, 1)])
    assert labels == [
        "torch 2.13.0+cpu, numpy 2.4.6",  # tied groups differ on torch and numpy
        "torch 2.4.1 +1 more",
        "torch 2.13.0+cpu, numpy 1.26.4",
        "jax 0.4.30",  # a smaller group: by its difference from the first
    ]
    assert len(set(labels)) == len(labels)


def test_one_group_is_the_majority_and_no_groups_no_labels() -> None:
    assert group_labels([({"python": "3.11"}, 1)]) == [MAJORITY]
    assert group_labels([]) == []


def test_labels_are_deterministic(tmp_path: Path) -> None:
    base = real_env()
    envs = [
        base,
        base,
        base,
        with_package(base, "torch", "2.4.1"),
        with_torch_build(base, "2.13.0+cu126", "12.6"),
    ]
    root = write_nodes(tmp_path, envs)
    first = labels_of(root)
    assert labels_of(root) == first
    # torch's local label says what it was built for: no "torch CUDA 12.6 build" beside it
    assert [label for label, _ in first] == [MAJORITY, "torch 2.4.1", "torch 2.13.0+cu126"]


@pytest.mark.parametrize(
    ("component", "value", "text"),
    [
        ("torch", "2.4.1", "torch 2.4.1"),
        ("jax", None, "no jax"),
        ("nvidia-driver", None, "no driver"),
        ("nvidia-driver", "535.104.05", "driver 535.104.05"),
        ("python", "3.12", "Python 3.12"),
        ("torch build", "CPU", "torch CPU build"),
        ("gpu", "8x NVIDIA H100 80GB HBM3 (cc 9.0)", "8x NVIDIA H100 80GB HBM3 (cc 9.0)"),
        ("os", "Linux aarch64", "Linux aarch64"),
    ],
)
def test_item_reads_as_a_person_would_say_it(component: str, value: str | None, text: str) -> None:
    assert item(component, value) == text


def test_a_node_failing_only_its_own_check_is_on_the_majority(tmp_path: Path) -> None:
    """A report on the majority stack with an error finding of its own: an outlier whose
    group is the majority, and the majority is what every output calls it."""
    for i in range(1, 4):
        data = json.loads(REAL_REPORT.read_text())
        data["environment"]["platform"]["hostname"] = f"n{i}"
        if i == 2:
            data["findings"].append({"code": "DRV001", "severity": "error", "title": "driver too old"})
        (tmp_path / f"n{i}.json").write_text(json.dumps(data))
    result = aggregate([str(tmp_path)])
    assert [g.label for g in result.groups] == [MAJORITY]
    (outlier,) = result.outliers
    assert (outlier.node, outlier.group_label, outlier.differences) == ("n2", MAJORITY, ())
    assert result.to_json()["outliers"][0]["group_label"] == MAJORITY


def test_a_build_is_named_where_no_local_label_says_it() -> None:
    base = stack(real_env())
    cuda = {**base, "torch": "2.13.0", "torch build": "CUDA 12.6"}
    assert group_labels([(base, 2), (cuda, 1)]) == [MAJORITY, "torch 2.13.0 +1 more"]
    # two groups the local label alone cannot tell apart: the build is named after all
    odd = {**base, "torch": "2.13.0+cu126", "torch build": "CUDA 12.6"}
    odder = {**base, "torch": "2.13.0+cu126", "torch build": "CUDA 12.8"}
    assert group_labels([(base, 3), (odd, 2), (odder, 1)]) == [
        MAJORITY,
        "torch 2.13.0+cu126, torch CUDA 12.6 build",
        "torch 2.13.0+cu126, torch CUDA 12.8 build",
    ]
