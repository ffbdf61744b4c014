from __future__ import annotations

import json
from pathlib import Path

import pytest

from compataudit.compat import torch as torch_compat
from compataudit.compat.matrices import Matrices, load_matrices
from compataudit.errors import UsageError
from compataudit.formats.version_sets import render_sets
from compataudit.plan.ci_matrix import Query, cell_id, compatible_sets, requirements
from compataudit.versions import in_range, minor_of

MATRICES = load_matrices()


def _sets(*packages: str, **kwargs: object) -> list[dict[str, str]]:
    return compatible_sets(MATRICES, Query(tuple(packages), **kwargs))  # type: ignore[arg-type]


def test_torch_torchvision_pairs_are_correct() -> None:
    """Every pair is one the data pairs, for Python 3.11 - and every such pair is listed."""
    sets = _sets("torch", "torchvision", python="3.11")
    assert sets, "no sets"
    view = torch_compat.torch_matrix(MATRICES)
    rows = {r.torch: r for r in view.torchvision}
    releases = {r.minor: r for r in view.releases}
    for s in sets:
        row = rows[str(minor_of(s["torch"]))]
        assert minor_of(s["torchvision"]) == row.torchvision, s
        if row.pairs:
            assert (s["torch"], s["torchvision"]) in row.pairs, s
        assert in_range("3.11", releases[row.torch].python), s
    expected = [
        r.torch
        for r in reversed(view.torchvision)
        if r.torch in releases
        and in_range("3.11", releases[r.torch].python)
        and "cpu" in releases[r.torch].variants  # no --driver: CPU builds
        and (r.python is None or in_range("3.11", r.python))
    ]
    assert [minor_of(s["torch"]) for s in sets] == expected


@pytest.mark.parametrize(
    ("packages", "kwargs", "first"),
    [
        (("jax", "jaxlib"), {"python": "3.11"}, {"jax": "0.10.2", "jaxlib": "0.10.2"}),
        (("tensorflow-cpu", "keras"), {"python": "3.11"}, {"tensorflow-cpu": "2.21.0", "keras": "3.15.1"}),
        (("keras",), {"python": "3.10"}, {"keras": "3.12.0"}),  # 3.13+ need Python 3.11
    ],
)
def test_newest_first(packages: tuple[str, ...], kwargs: dict[str, str], first: dict[str, str]) -> None:
    assert _sets(*packages, **kwargs)[0] == first


def test_python_filters() -> None:
    old = {s["torch"] for s in _sets("torch", python="3.8")}
    new = {s["torch"] for s in _sets("torch", python="3.13")}
    assert old and new and not old & new


def test_tensorflow_2_15_takes_keras_2() -> None:
    by_tf = {s["tensorflow-cpu"]: s["keras"] for s in _sets("tensorflow-cpu", "keras")}
    assert minor_of(by_tf["2.15.1"]) == "2.15"
    assert by_tf["2.21.0"].startswith("3.")


def test_driver_names_variants_and_filters_cuda() -> None:
    sets = _sets("torch", "torchvision", driver="550.54.14", gpu_ccs=("8.6",), latest=2)
    assert len(sets) == 2
    for s in sets:
        variant = s["torch"].split("+")[1]
        assert variant.startswith("cu") and s["torchvision"].endswith("+" + variant)
        # the driver runs CUDA 12.x through MVC, never 13
        assert variant.startswith("cu12")


def test_families_multiply_and_latest_is_per_family() -> None:
    sets = _sets("torch", "jax", python="3.11", latest=2)
    assert len(sets) == 4
    assert {tuple(s) for s in sets} == {("torch", "jax")}


def test_keras_with_tensorflow_is_one_family() -> None:
    sets = _sets("tensorflow-cpu", "keras", latest=3)
    assert len(sets) == 3


@pytest.mark.parametrize(
    ("packages", "kwargs", "message"),
    [
        ((), {}, "name at least one package"),
        (("tf-nightly",), {}, "no compatibility data for tf-nightly"),
        (("tensorflow", "tensorflow-cpu"), {}, "alternatives"),
        (("torch",), {"python": "three"}, "--python three"),
        (("torch",), {"latest": 0}, "--latest 0"),
        (("torch",), {"driver": "new"}, "--driver new"),
        (("torch",), {"driver": "100.1"}, "older than every CUDA release"),
        (("torch",), {"gpu_ccs": ("sm_86",)}, "--gpu-cc sm_86"),
    ],
)
def test_bad_queries(packages: tuple[str, ...], kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        _sets(*packages, **kwargs)


def test_spelling_is_normalised() -> None:
    assert _sets("TensorFlow_CPU", latest=1) == [{"tensorflow-cpu": "2.21.0"}]


def test_other_matrices_dir(tmp_path: Path) -> None:
    (tmp_path / "jax.toml").write_text(
        'schema_version = 1\n[[release]]\nversion = "0.4.30"\nmin_jaxlib = "0.4.27"\n'
        'python = ">=3.9"\nnumpy = ">=1.24"\nsource = "https://example.org/jax"\n',
        encoding="utf-8",
    )
    assert compatible_sets(Matrices(tmp_path), Query(("jax", "jaxlib"))) == [
        {"jax": "0.4.30", "jaxlib": "0.4.30"}
    ]


SETS = [
    {"torch": "2.13.0", "tensorflow-cpu": "2.21.0"},
    {"torch": "2.12.0+cu126", "tensorflow-cpu": "2.20.0"},
]


def test_render_json_and_github() -> None:
    assert json.loads(render_sets(SETS, "json", ["torch", "tensorflow-cpu"])) == SETS
    assert json.loads(render_sets(SETS, "github", ["torch", "tensorflow-cpu"])) == {"include": SETS}


def test_render_nox_is_valid_python() -> None:
    text = render_sets(SETS, "nox", ["torch", "tensorflow-cpu"])
    calls: list[tuple[object, ...]] = []

    class FakeNox:
        @staticmethod
        def parametrize(*args: object, **kwargs: object) -> None:
            calls.append((*args, kwargs))

    exec(text.replace("@nox.parametrize(", "nox.parametrize("), {"nox": FakeNox})
    names, values, kwargs = calls[0]
    assert names == ("torch", "tensorflow_cpu")
    assert values == [("2.13.0", "2.21.0"), ("2.12.0+cu126", "2.20.0")]
    assert kwargs == {
        "ids": ["torch-2.13.0_tensorflow-cpu-2.21.0", "torch-2.12.0+cu126_tensorflow-cpu-2.20.0"]
    }


def test_render_table() -> None:
    lines = render_sets(SETS, "table", ["torch", "tensorflow-cpu"]).splitlines()
    assert lines[0].split() == ["torch", "tensorflow-cpu"]
    assert lines[3].split() == ["2.12.0+cu126", "2.20.0"]
    assert render_sets([], "table", ["torch"]) == "no compatible sets"


def test_helpers() -> None:
    assert cell_id({"jax": "0.10.2", "jaxlib": "0.10.2"}) == "jax-0.10.2_jaxlib-0.10.2"
    assert requirements({"torch": "2.13.0"}) == ["torch==2.13.0"]
    with pytest.raises(UsageError):
        render_sets(SETS, "yaml", ["torch"])


@pytest.mark.parametrize(
    ("torch", "torchvision"),
    [
        # torchvision wheels' `Requires-Dist: torch==X` (torch.toml [[torchvision]] pairs)
        ("2.5.1", "0.20.1"),
        ("2.4.1", "0.19.1"),
        ("2.1.2", "0.16.2"),
    ],
)
def test_known_pairs_listed(torch: str, torchvision: str) -> None:
    sets = _sets("torch", "torchvision", python="3.11")
    assert {"torch": torch, "torchvision": torchvision} in sets
    assert not [
        s
        for s in sets
        if minor_of(s["torch"]) == minor_of(torch) and minor_of(s["torchvision"]) != minor_of(torchvision)
    ]


def _cli(*args: str) -> tuple[int, str, str]:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "compataudit", *args], capture_output=True, text=True, timeout=60, check=False
    )
    return done.returncode, done.stdout, done.stderr


def test_cli_compatible_json() -> None:
    code, out, err = _cli(
        "matrix", "compatible", "torch", "torchvision", "--python", "3.11", "--format", "json"
    )
    assert code == 0, err
    assert json.loads(out) == _sets("torch", "torchvision", python="3.11")


@pytest.mark.parametrize(
    ("args", "code", "stderr"),
    [
        (("matrix", "compatible", "nope"), 2, "compataudit: error: no compatibility data for nope"),
        (("matrix", "compatible", "torch", "--format", "yaml"), 2, "--format yaml"),
        (("matrix", "compatible", "torch", "--driver", "abc"), 2, "--driver abc"),
        (("matrix", "show", "nope"), 2, "no matrix 'nope'"),
    ],
)
def test_cli_errors_are_one_line(args: tuple[str, ...], code: int, stderr: str) -> None:
    got, _out, err = _cli(*args)
    assert got == code and stderr in err and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err


def test_cli_show() -> None:
    code, out, _ = _cli("matrix", "show", "--format", "json")
    assert code == 0 and set(json.loads(out)["files"]) >= {"torch", "jax", "tensorflow"}
    code, out, _ = _cli("matrix", "show", "jax")
    assert code == 0 and out.startswith("[[release]]")
