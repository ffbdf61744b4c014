"""Version strings as deep-learning stacks write them."""

from __future__ import annotations

import pytest

from compataudit.versions import (
    cuda_variant,
    driver_tuple,
    in_range,
    local_variant,
    major_minor,
    marker_applies,
    minor_of,
    numeric_prefix,
    parse_requirement,
    parse_version,
    same_minor,
    variant_cuda,
)


@pytest.mark.parametrize(
    ("text", "public", "variant"),
    [
        ("2.1.0+cu121", "2.1.0", "cu121"),
        ("2.9.0+cpu", "2.9.0", "cpu"),
        ("2.7.0+rocm6.3", "2.7.0", "rocm6.3"),
        ("2.4.0a0+git59b3fa1", "2.4.0a0", None),  # a source build: no variant
        ("2.4.0a0+f70bd71a48.nv24.05", "2.4.0a0", None),  # NVIDIA container build
        ("1.13.1.post2", "1.13.1.post2", None),
        ("2.6.0.dev20241001+cu124", "2.6.0.dev20241001", "cu124"),
        ("2.13.0", "2.13.0", None),
    ],
)
def test_real_world_versions_parse(text: str, public: str, variant: str | None) -> None:
    v = parse_version(text)
    assert v is not None and v.public == public
    assert local_variant(text) == variant


@pytest.mark.parametrize("text", ["", "not-a-version", "2.x", None])
def test_unparsable_versions_are_none(text: str | None) -> None:
    assert parse_version(text) is None and local_variant(text) is None


@pytest.mark.parametrize(
    ("variant", "cuda"),
    [("cu124", "12.4"), ("cu118", "11.8"), ("cu130", "13.0"), ("cpu", None), (None, None)],
)
def test_variant_cuda_round_trip(variant: str | None, cuda: str | None) -> None:
    assert variant_cuda(variant) == cuda
    if cuda:
        assert cuda_variant(cuda) == variant
        assert cuda_variant(cuda + ".1") == variant


def test_ranges_ignore_local_labels_and_admit_nightlies() -> None:
    assert in_range("2.5.1+cu124", ">=2.5,<2.6") is True
    assert in_range("2.6.0.dev20241001+cu124", ">=2.5") is True
    assert in_range("2.4.1", ">=2.5") is False
    assert in_range("junk", ">=2.5") is None and in_range("2.5", "not a spec") is None


def test_minor_helpers() -> None:
    assert minor_of("2.5.1+cu124") == "2.5" and minor_of("3") == "3.0" and minor_of("x") is None
    assert same_minor("2.15.0.post1", "2.15.1") is True and same_minor("x", "2.1") is None
    assert major_minor("12.5.1") == (12, 5) and major_minor("12") == (12, 0)
    assert numeric_prefix("v12.4.1-foo") is not None and numeric_prefix("foo") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("570.124.06", (570, 124, 6)),
        ("550.54.14", (550, 54, 14)),
        ("331.62", (331, 62)),
        ("", None),
        ("latest", None),
        ("550.x", None),
    ],
)
def test_driver_versions_compare_as_integers(text: str, expected: tuple[int, ...] | None) -> None:
    assert driver_tuple(text) == expected


@pytest.mark.parametrize(
    ("line", "name", "spec", "marker"),
    [
        ("torch==2.5.1", "torch", "==2.5.1", None),
        ("numpy (>=1.20)", "numpy", ">=1.20", None),
        ("Typing_Extensions>=4 ; extra == 'x'", "typing-extensions", ">=4", "extra == 'x'"),
        ("jax[cuda12]<=0.4.30,>=0.4.27", "jax", "<=0.4.30,>=0.4.27", None),
        (
            'nvidia-cudnn-cu12==9.1.0.70; platform_system == "Linux"',
            "nvidia-cudnn-cu12",
            "==9.1.0.70",
            'platform_system == "Linux"',
        ),
    ],
)
def test_parse_requirement(line: str, name: str, spec: str, marker: str | None) -> None:
    req = parse_requirement(line)
    assert req is not None and (req.name, req.specifier, req.marker) == (name, spec, marker)


@pytest.mark.parametrize("line", ["pkg @ https://example.invalid/x.whl", "bad (((", "x >= =1"])
def test_requirements_we_cannot_judge_are_none(line: str) -> None:
    assert parse_requirement(line) is None


def test_marker_applies() -> None:
    env = {"python_version": "3.11", "platform_system": "Linux", "extra": ""}
    assert marker_applies(None, env) is True
    assert marker_applies('python_version < "3.12"', env) is True
    assert marker_applies('extra == "gpu"', env) is False
    # packaging fills variables the caller leaves out from the running interpreter
    assert marker_applies('sys_platform == "win32"', env) is False
    assert marker_applies("not a marker ===", env) is None
