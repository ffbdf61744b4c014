"""One version-matching rule for PKG002, POL001, what-if pins and the nox asserts.

Property tests: ``in_range`` agrees with ``packaging`` (pre-releases admitted) on
generated versions and specifiers, local labels included, and never raises.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from compataudit.nox import cell_differences
from compataudit.versions import in_range
from tests.envs import environment

LOCALS = st.sampled_from(["", "+cu124", "+cu118", "+cpu", "+rocm6.2", "+git1234", "+nv24.7"])
SUFFIXES = st.sampled_from(["", "rc1", "a0", ".dev20241001", ".post1", ".post2.dev3"])
OPERATORS = st.sampled_from(["==", "!=", "<=", ">=", "<", ">", "~="])


@st.composite
def releases(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.integers(0, 12), min_size=1, max_size=3))
    return ".".join(map(str, parts))


@st.composite
def versions(draw: st.DrawFn) -> str:
    return draw(releases()) + draw(SUFFIXES) + draw(LOCALS)


@st.composite
def specifiers(draw: st.DrawFn) -> str:
    clauses = []
    for _ in range(draw(st.integers(1, 3))):
        op = draw(OPERATORS)
        release = draw(releases())
        if op == "~=" and "." not in release:
            release += ".0"
        tail = draw(SUFFIXES)
        if op in ("==", "!=") and draw(st.booleans()):
            clauses.append(f"{op}{release}{tail}{draw(LOCALS)}")  # only == and != may hold a local label
        elif op in ("==", "!=") and draw(st.booleans()):
            clauses.append(f"{op}{release}.*")
        else:
            clauses.append(f"{op}{release}{tail}")
    return ",".join(clauses)


@settings(max_examples=400, deadline=None)
@given(versions(), specifiers())
def test_in_range_agrees_with_packaging(version: str, spec: str) -> None:
    expected = SpecifierSet(spec).contains(Version(version), prereleases=True)
    assert in_range(version, spec) is expected


@settings(max_examples=200, deadline=None)
@given(versions())
def test_a_local_label_in_the_specifier_is_kept(version: str) -> None:
    v = Version(version)
    assert in_range(version, f"=={version}") is True  # torch==2.5.1+cu124 is met by 2.5.1+cu124
    assert in_range(version, f"=={v.public}") is True  # a specifier without one ignores it
    if v.local is not None:
        assert in_range(v.public, f"=={version}") is False  # the plain build is not the cu124 one
        other = "cpu" if v.local != "cpu" else "cu124"
        assert in_range(f"{v.public}+{other}", f"=={version}") is False


@given(st.text(max_size=20), st.text(max_size=20))
def test_in_range_never_raises(version: str, spec: str) -> None:
    assert in_range(version, spec) in (True, False, None)


def test_nox_asserts_use_the_same_rule() -> None:
    env = environment(("torch", "2.5.1+cu124"), ("numpy", "2.1.0"))
    assert cell_differences(env, {"torch": "2.5.1+cu124", "numpy": "2.1.*"}) == []
    assert cell_differences(env, {"torch": "2.5.1"}) == []
    assert cell_differences(env, {"torch": "2.5.1+cpu"}) == ["torch: expected 2.5.1+cpu, found 2.5.1+cu124"]
    assert cell_differences(env, {"numpy": ">=2,<2.1"}) == ["numpy: expected >=2,<2.1, found 2.1.0"]
