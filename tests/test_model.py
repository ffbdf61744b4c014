"""The model values and their JSON round trip."""

from __future__ import annotations

import json

import pytest

from compataudit.distributions import canonical_name
from compataudit.model import (
    BuildInfo,
    Environment,
    Finding,
    Gpu,
    ModelError,
    NvidiaInfo,
    Package,
    PlatformInfo,
    ProbeAttempt,
    ProbeStatus,
    PythonInfo,
    Severity,
    SmokeResult,
    SmokeStatus,
    from_jsonable,
    to_jsonable,
)

ENV = Environment(
    python=PythonInfo("3.11.7", executable="/usr/bin/python3"),
    platform=PlatformInfo("Linux", "x86_64", hostname="node-1"),
    packages=(
        Package("torch", "2.5.1+cu124", "/site", ("nvidia-cudnn-cu12==9.1.0.70",), modules=("torch",)),
    ),
    nvidia=NvidiaInfo(
        ProbeStatus.OK,
        "nvml",
        "550.54.14",
        "12.4",
        (Gpu(0, "NVIDIA A100-SXM4-80GB", "GPU-1", "8.0", 81920, "disabled"),),
        (ProbeAttempt("nvml", ProbeStatus.OK, None, 0.01),),
        "0",
    ),
    builds=(BuildInfo("torch", "torch", "2.5.1+cu124", "12.4", "9.1.0.70"),),
    env_vars=(("CUDA_VISIBLE_DEVICES", "0"),),
)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("TensorFlow_CPU", "tensorflow-cpu"),
        ("tf.keras", "tf-keras"),
        ("a__b--c", "a-b-c"),
    ],
)
def test_canonical_name(name: str, canonical: str) -> None:
    assert canonical_name(name) == canonical


def test_environment_round_trip_and_lookups() -> None:
    data = json.loads(json.dumps(to_jsonable(ENV)))
    assert data["env_vars"] == {"CUDA_VISIBLE_DEVICES": "0"}  # written as an object
    assert list(data["builds"]) == ["torch"]  # keyed by framework, as DESIGN.md's report
    again = from_jsonable(Environment, data)
    assert again == ENV
    assert again.package("Torch") is not None and again.package("jax") is None
    assert again.build("torch") is not None and again.env_var("CUDA_VISIBLE_DEVICES") == "0"


def test_snapshots_with_builds_as_a_list_still_load() -> None:
    data = json.loads(json.dumps(to_jsonable(ENV)))
    data["builds"] = list(data["builds"].values())
    assert from_jsonable(Environment, data) == ENV


def test_smoke_result_runtime_is_an_object() -> None:
    result = SmokeResult("torch", "cpu", SmokeStatus.PASS, runtime=(("torch", "2.13.0"),))
    data = to_jsonable(result)
    assert data["runtime"] == {"torch": "2.13.0"} and data["status"] == "pass"
    assert from_jsonable(SmokeResult, data) == result


def test_severity_order_and_failed_statuses() -> None:
    assert Severity.ERROR.rank > Severity.WARNING.rank > Severity.INFO.rank
    assert {s for s in SmokeStatus if s.failed} == {
        SmokeStatus.FAIL,
        SmokeStatus.ERROR,
        SmokeStatus.TIMEOUT,
        SmokeStatus.CRASH,
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "X", "severity": "fatal", "title": "t"}, "$.severity: 'fatal' is not one of"),
        ({"code": 1, "severity": "error", "title": "t"}, "$.code: expected str"),
        ({"severity": "error", "title": "t"}, "missing required field 'code'"),
        (
            {"code": "X", "severity": "error", "title": "t", "components": "torch"},
            "$.components: expected a list",
        ),
    ],
)
def test_from_jsonable_names_the_bad_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(ModelError) as info:
        from_jsonable(Finding, data)
    assert message in str(info.value)


def test_numbers_are_checked() -> None:
    with pytest.raises(ModelError, match="expected an integer"):
        from_jsonable(Gpu, {"index": True, "name": "x"})
    assert (
        from_jsonable(
            SmokeResult, {"framework": "jax", "device": "cpu", "status": "pass", "forward_ms": 1}
        ).forward_ms
        == 1.0
    )
