"""The offline resolver: what pip would pick, from the harvested release data (matrices/harvested)."""

from __future__ import annotations

import functools

import pytest

from compataudit.compat.matrices import load_matrices
from compataudit.compat.releases import Release, ReleaseIndex, release_index
from compataudit.inputs import Want
from compataudit.sources.resolve import Resolution, resolve, satisfiable, satisfies

LINUX_311 = {
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "platform_release": "",
    "platform_version": "",
    "sys_platform": "linux",
    "os_name": "posix",
    "extra": "",
    "python_version": "3.11",
    "python_full_version": "3.11.7",
    "implementation_version": "3.11.7",
}


@functools.cache
def _index() -> ReleaseIndex:
    return release_index(load_matrices())


def _resolve(
    *wants: tuple[str, str], python: str = "3.11.7", installed: dict[str, str] | None = None
) -> Resolution:
    asked = [Want(name, spec, f"req.txt:{i}", name + spec) for i, (name, spec) in enumerate(wants, 1)]
    return resolve(asked, _index(), python=python, markers=LINUX_311, installed=installed)


def _picked(res: Resolution) -> dict[str, str]:
    return {p.name: p.version for p in res.picks}


def test_a_range_gets_the_newest_release_inside_it() -> None:
    res = _resolve(("torch", ">=2.4,<2.6"))
    assert _picked(res)["torch"] == "2.5.1"
    (torch,) = [p for p in res.picks if p.name == "torch"]
    assert (torch.requested, torch.where) == ("torch>=2.4,<2.6", "req.txt:1")


def test_torchvision_pulls_the_torch_its_release_pins() -> None:
    picked = _picked(_resolve(("torchvision", ">=0.19,<0.21")))
    assert (picked["torchvision"], picked["torch"]) == ("0.20.1", "2.5.1")  # torch (==2.5.1)


def test_backtracking_over_a_requirement_without_release_data() -> None:
    """TF 2.12 wants numpy<1.24; the newest jax wants numpy>=2.0: pip takes an older jax."""
    res = _resolve(("tensorflow", "==2.12.0"))
    picked = _picked(res)
    assert (picked["keras"], picked["jax"]) == ("2.12.0", "0.4.30")
    assert ("<1.24,>=1.22", "tensorflow 2.12.0") in res.constraints["numpy"]


def test_two_exact_pins_that_pip_cannot_install_together() -> None:
    res = _resolve(("torch", "==2.5.1"), ("torchvision", "==0.19.0"))
    assert _picked(res) == {"torch": "2.5.1", "torchvision": "0.19.0"}  # as written: TCH001 judges
    assert res.conflict is not None and "ResolutionImpossible" in res.conflict


def test_the_audited_python_filters_releases() -> None:
    # torch 2.15 ships cp311+ only; on Python 3.9 the newest with a cp39 wheel is taken
    assert _picked(_resolve(("torch", ">=2"), python="3.11.7"))["torch"] == "2.15.0"
    older = _picked(_resolve(("torch", ">=2"), python="3.9.18"))["torch"]
    assert older != "2.15.0" and older.startswith("2.")


def test_an_installed_release_that_satisfies_is_kept() -> None:
    res = _resolve(("torch", ">=2.4"), installed={"torch": "2.5.1"})
    assert _picked(res)["torch"] == "2.5.1"


def test_a_release_older_than_the_data_is_unresolved() -> None:
    res = _resolve(("torch", ">=1.8,<1.10"), ("torchvision", ""))
    assert [w.text for w in res.unresolved] == ["torch>=1.8,<1.10"]
    assert "torchvision" in _picked(res)


def test_exact_pin_with_a_local_label_keeps_it() -> None:
    assert _picked(_resolve(("torch", "==2.5.1+cu124")))["torch"] == "2.5.1+cu124"


@pytest.mark.parametrize(
    ("version", "specs", "expected"),
    [
        ("2.5.1+cu124", ["==2.5.1"], True),  # pip: a local label satisfies the public version
        ("2.5.1", ["==2.5.1+cu124"], True),  # the index's 2.5.1, built as +cu124 elsewhere
        ("2.5.1+cpu", ["==2.5.1+cu124"], False),
        ("2.6.0", ["<2.6", ">=2.4"], False),
    ],
)
def test_satisfies_follows_pip(version: str, specs: list[str], expected: bool) -> None:
    assert satisfies(version, specs) is expected


@pytest.mark.parametrize(
    ("specs", "expected"),
    [(["<1.24,>=1.22", ">=2.0"], False), (["<1.24", ">=1.22"], True), (["!=4.21.0,<5", ">=3.20.3"], True)],
)
def test_satisfiable(specs: list[str], expected: bool) -> None:
    assert satisfiable(specs) is expected


def test_extras_follow_the_markers_of_the_release() -> None:
    index = ReleaseIndex(
        {
            "jax": (Release("0.5.0", ">=3.10", ("py3",), ("jaxlib==0.5.0; extra == 'cpu'",)),),
            "jaxlib": (Release("0.5.0", ">=3.10", ("cp311",), ()),),
        }
    )
    plain = resolve([Want("jax", "", "f", "jax")], index, python="3.11.7", markers=LINUX_311)
    cpu = resolve([Want("jax", "", "f", "jax[cpu]", ("cpu",))], index, python="3.11.7", markers=LINUX_311)
    assert _picked(plain) == {"jax": "0.5.0"}
    assert _picked(cpu) == {"jax": "0.5.0", "jaxlib": "0.5.0"}


def test_backjumping_finds_the_release_far_back() -> None:
    """tf-keras (last) only fits TensorFlow 2.15 with keras<3: the unrelated torch and jax choices
    are not varied on the way back, and the answer comes quickly."""
    res = _resolve(
        ("tensorflow", ">=2.10"),
        ("jax", ">=0.4"),
        ("torch", ""),
        ("torchvision", ""),
        ("keras", "<3"),
        ("tf-keras", ""),
    )
    picked = _picked(res)
    assert res.conflict is None
    assert (picked["tensorflow"], picked["keras"], picked["tf-keras"]) == ("2.15.1", "2.15.0", "2.15.1")
    assert picked["torch"] == "2.15.0"  # untouched by the backtracking


def test_impossible_ranges_are_a_conflict() -> None:
    res = _resolve(("torchvision", "<0.20"), ("torch", ">=2.6"))
    assert res.conflict is not None
