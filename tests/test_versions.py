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


def _real_markers() -> list[str]:
    """Every marker of every Requires-Dist line installed in the test environment."""
    import importlib.metadata

    found = set()
    for dist in importlib.metadata.distributions():
        for line in dist.requires or ():
            req = parse_requirement(line)
            if req is not None and req.marker:
                found.add(req.marker)
    return sorted(found)


def _environments() -> list[dict[str, str]]:
    base = {
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "platform_machine": "x86_64",
        "platform_release": "6.1.0",
        "platform_version": "",
        "os_name": "posix",
    }
    systems = (("Linux", "linux"), ("Windows", "win32"), ("Darwin", "darwin"))
    return [
        {
            **base,
            "python_version": full.rsplit(".", 1)[0],
            "python_full_version": full,
            "implementation_version": full,
            "platform_system": system,
            "sys_platform": sys_platform,
            "extra": extra,
        }
        for full in ("3.8.10", "3.10.4", "3.12.1", "3.14.0")
        for system, sys_platform in systems
        for extra in ("", "test", "all")
    ]


def test_the_fast_marker_path_agrees_with_packaging_on_real_metadata() -> None:
    from packaging.markers import Marker

    from compataudit.versions import _simple_marker

    markers = [
        *_real_markers(),
        "python_version < '3.11' and (sys_platform == 'win32' or extra == 'test')",
        "platform_machine in 'x86_64 aarch64' and python_full_version >= '3.10.2'",
        "sys_platform not in 'win32 cygwin'",
        "implementation_name == 'pypy' or (python_version ~= '3.10' and extra == 'All')",
    ]
    judged = 0
    for marker in markers:
        for env in _environments():
            fast = _simple_marker(marker, tuple(sorted(env.items())))
            if fast is not None:
                judged += 1
                assert fast == Marker(marker).evaluate(env), (marker, env)
    assert judged >= len(markers) * len(_environments()) * 0.9  # the fast path does the work


@pytest.mark.parametrize(
    "marker",
    [
        "python_version < '3.11' and",  # malformed: packaging decides (and rejects)
        "(sys_platform == 'linux'",
        "platform_version == '#1 SMP'",  # a variable the fast path leaves to packaging
        "'linux' == sys_platform",  # value first
        "python_version === '3.11'",
    ],
)
def test_markers_the_fast_path_leaves_to_packaging(marker: str) -> None:
    from compataudit.versions import _simple_marker

    env = _environments()[0]
    assert _simple_marker(marker, tuple(sorted(env.items()))) is None
