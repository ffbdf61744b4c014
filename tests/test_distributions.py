"""The one home of distribution-name knowledge."""

from __future__ import annotations

import pytest

from compataudit import distributions as d


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("tensorflow", True),
        ("tensorflow-cpu", True),
        ("tf-nightly-gpu", True),
        ("tf-keras", False),
        ("keras", False),
    ],
)
def test_is_tensorflow(name: str, expected: bool) -> None:
    assert d.is_tensorflow(name) is expected


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("torchaudio", "torch"),
        ("tensorflow-intel", "tensorflow"),
        ("tf-keras", "tensorflow"),
        ("jax-cuda12-pjrt", "jax"),
        ("numpy", None),
    ],
)
def test_family(name: str, family: str | None) -> None:
    assert d.family(name) == family


def test_every_stack_name_is_canonical_and_listed_once() -> None:
    assert len(set(d.AUDITED_STACK)) == len(d.AUDITED_STACK)
    assert all(d.canonical_name(n) == n for n in d.AUDITED_STACK)
    # every distribution whose import directory we check is part of the stack
    assert set(d.IMPORT_DIRS) <= set(d.AUDITED_STACK)


def test_canonical_name_uses_pep_503() -> None:
    assert d.canonical_name(" TensorFlow_CPU ") == "tensorflow-cpu"
    assert d.canonical_name("ml.dtypes") == "ml-dtypes"


def test_canonical_name_is_packagings_rule_on_every_installed_name() -> None:
    import importlib.metadata

    from packaging.utils import canonicalize_name

    names = {dist.metadata["Name"] for dist in importlib.metadata.distributions()} - {None}
    names |= {"Foo__Bar", "a.-_b", "Zope.Interface", "ruamel.yaml.clib", "-x-"}
    assert len(names) > 20
    assert all(d.canonical_name(n) == canonicalize_name(n) for n in names)
