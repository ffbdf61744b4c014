"""-r on real projects' requirement files (tests/fixtures/inputs/projects, sources in its README).

Each verdict was checked by hand against the projects' pins and the release data: the versions
pip would install on Python 3.11 (lerobot: 3.12, its requires-python) and what they mean on a
recent driver (595.45.04) and an old one (470.82.01, CUDA 11.4), both with an sm_86 GPU.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compataudit.cli.app import main
from tests.schema_helpers import assert_valid_report

PROJECTS = Path(__file__).parent.parent / "fixtures" / "inputs" / "projects"
RECENT, OLD = "595.45.04", "470.82.01"

# file, extra args, what pip picks (part), codes on the recent driver, codes on the old one
CASES = [
    ("whisper/requirements.txt", [], {"torch": "2.15.0"}, set(), {"DRV001"}),
    ("clip/requirements.txt", [], {"torch": "2.15.0", "torchvision": "0.29.2"}, set(), {"DRV001"}),
    # exact pins, known to work together: a CPU TensorFlow beside a GPU is worth a warning only
    ("alphafold/requirements.txt", [], {"jax": "0.4.26", "tensorflow-cpu": "2.16.1"}, {"DRV004"}, {"DRV004"}),
    ("litgpt/pyproject.toml", [], {"torch": "2.15.0"}, set(), {"DRV001"}),
    ("pytorch-lightning/base.txt", [], {"torch": "2.9.1"}, set(), {"DRV001"}),
    # uv project: [tool.uv.sources] puts torch and torchvision on the cu128 index (Linux)
    (
        "lerobot/pyproject.toml",
        ["--python", "3.12"],
        {"torch": "2.11.0+cu128", "torchvision": "0.26.0+cu128"},
        set(),
        {"DRV001"},
    ),
    # triton==2.0.0 and torchvision>=0.15.2 take pip back to torch 2.0.1; torchaudio>=2.0.2 gets
    # 2.11.0 (its metadata names no torch) and numpy==2.1 is pinned: two real breakages
    (
        "generative-models/pt2.txt",
        [],
        {"torch": "2.0.1", "torchvision": "0.15.2", "torchaudio": "2.11.0"},
        {"NPY001", "TCH002"},
        {"NPY001", "TCH002", "DRV002"},
    ),
    ("flax/pyproject.toml", [], {"jax": "0.10.2", "jaxlib": "0.10.2"}, {"DRV004"}, {"DRV004"}),
    ("optax/pyproject.toml", [], {"jax": "0.10.2", "jaxlib": "0.10.2"}, {"DRV004"}, {"DRV004"}),
    # CPU builds on purpose (CI): the PyTorch CPU index, tensorflow-cpu, jax[cpu]
    (
        "keras/requirements.txt",
        [],
        {"torch": "2.15.0+cpu", "tensorflow-cpu": "2.21.0", "keras": "3.15.1", "jax": "0.10.2"},
        {"DRV004"},
        {"DRV004"},
    ),
    (
        "keras-hub/requirements.txt",
        [],
        {"torch": "2.15.0+cpu", "torchvision": "0.29.2+cpu", "tensorflow-cpu": "2.21.0"},
        {"DRV004"},
        {"DRV004"},
    ),
    # no framework at all: said, not passed as clean
    ("sonnet/requirements.txt", [], {}, {"INP001"}, {"INP001"}),
]


def _report(path: str, args: list[str], driver: str, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    argv = ["check", "--no-probe", "--python", "3.11", "--driver", driver, "--gpu-cc", "8.6"]
    argv += ["-r", str(PROJECTS / path), *args, "-f", "json"]
    with pytest.raises(SystemExit):
        main(argv)
    data: dict[str, object] = json.loads(capsys.readouterr().out)
    assert_valid_report(data)
    return data


@pytest.mark.parametrize(("path", "args", "picked", "recent", "old"), CASES, ids=[c[0] for c in CASES])
def test_real_project_verdicts(
    path: str,
    args: list[str],
    picked: dict[str, str],
    recent: set[str],
    old: set[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    for driver, expected in ((RECENT, recent), (OLD, old)):
        data = _report(path, args, driver, capsys)
        env = data["environment"]
        assert isinstance(env, dict)
        versions = {p["name"]: p["version"] for p in env["packages"]}
        assert {name: versions.get(name) for name in picked} == picked
        findings = data["findings"]
        assert isinstance(findings, list)
        codes = {f["code"] for f in findings if f["severity"] in ("error", "warning")}
        assert codes == expected, (driver, [f["title"] for f in findings])
