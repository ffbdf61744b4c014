"""The data's date and newest known releases: curated dates, newest.toml, the harvest summary."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from compataudit.compat.datafacts import HARVEST_DIR, harvest_pins, read_harvest, summarise_harvest
from compataudit.compat.matrices import COMPILED_NAME, compile_directory, load_matrices
from compataudit.compat.staleness import data_facts, newer_than_data
from compataudit.errors import MatrixError
from compataudit.model import Environment
from tests.envs import environment

CHECKOUT = Path(__file__).resolve().parents[1] / "matrices"


def _release(*requires: str) -> dict[str, Any]:
    return {"uploaded": "2026-11-01", "metadata": {"requires_dist": list(requires)}}


# The shape tools/harvest.py writes (abridged): per package, every release with its metadata.
HARVEST = {
    "harvested": "2026-12-01",
    "packages": {
        "keras": {"releases": {"3.15.1": _release(), "3.16.0rc1": _release(), "3.9.0": _release()}},
        "torch": {
            "releases": {
                "2.15.0": _release(
                    'nvidia-cudnn-cu13==9.26.0.51; platform_system == "Linux"',
                    'nvidia-nccl-cu13==2.30.7; platform_system == "Linux"',
                ),
                "2.14.0": _release('nvidia-nccl-cu13==2.29.9; platform_system == "Linux"'),
            }
        },
        "nvidia-cudnn-cu13": {"releases": {"9.28.1.4": _release()}},
    },
}


def _copy(tmp_path: Path, *, harvest: dict[str, Any] | None = None, compiled: bool = False) -> Path:
    target = tmp_path / "m"
    shutil.copytree(CHECKOUT, target, ignore=shutil.ignore_patterns(HARVEST_DIR, COMPILED_NAME))
    if harvest is not None:
        (target / HARVEST_DIR).mkdir()
        (target / HARVEST_DIR / "torch.json").write_text(json.dumps(harvest))
    if compiled:
        (target / COMPILED_NAME).write_text(compile_directory(target))
    return target


def test_summary_takes_newest_final_releases_and_pins() -> None:
    date, newest = summarise_harvest([HARVEST, {"harvested": "2026-11-20", "packages": {}}])
    assert date == "2026-12-01"
    assert newest["keras"] == "3.15.1"  # rc and older releases do not count
    assert newest["torch"] == "2.15.0"
    assert "nvidia-nccl-cu13" not in newest  # a pin says nothing of the wheel's newest release
    assert newest["nvidia-cudnn-cu13"] == "9.28.1.4"


def test_broken_harvest_file_loses_only_its_facts(tmp_path: Path) -> None:
    directory = _copy(tmp_path, harvest=HARVEST)
    (directory / HARVEST_DIR / "broken.json").write_text("{not json")
    summary = read_harvest(directory)
    assert summary.newest["keras"] == "3.15.1" and set(summary.digests) == {"broken.json", "torch.json"}


def test_date_is_the_newest_curation_or_harvest(tmp_path: Path) -> None:
    assert data_facts(load_matrices(_copy(tmp_path))).date == "2026-12-07"
    later = dict(HARVEST, harvested="2026-12-24")
    assert data_facts(load_matrices(_copy(tmp_path / "h", harvest=later))).date == "2026-12-24"


def test_compiled_summary_serves_a_wheel_without_the_harvest(tmp_path: Path) -> None:
    directory = _copy(tmp_path, harvest=HARVEST, compiled=True)
    shutil.rmtree(directory / HARVEST_DIR)  # the wheel ships _compiled.json, not harvested/
    assert data_facts(load_matrices(directory)).newest["keras"] == "3.15.1"


def test_changed_harvest_is_summarised_afresh(tmp_path: Path) -> None:
    directory = _copy(tmp_path, harvest=HARVEST, compiled=True)
    newer = json.loads(json.dumps(HARVEST))
    newer["packages"]["keras"]["releases"]["3.16.0"] = _release()
    (directory / HARVEST_DIR / "torch.json").write_text(json.dumps(newer))
    assert data_facts(load_matrices(directory)).newest["keras"] == "3.16.0"


def test_newest_toml_covers_families_the_harvest_does_not(tmp_path: Path) -> None:
    facts = data_facts(load_matrices(_copy(tmp_path)))
    assert facts.newest["numpy"] == "2.5.5"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        pytest.param(
            'version = "2.5.5"',
            'version = "2.6.0rc1"',
            r"newest\.toml: \[\[newest\]\] row 1: field 'version'",
        ),
        pytest.param('curated = "2026-12-07"', 'curated = "7 Dec"', r"newest\.toml: curated must be a date"),
    ],
)
def test_malformed_newest_names_file_and_row(tmp_path: Path, old: str, new: str, message: str) -> None:
    directory = _copy(tmp_path)
    path = directory / "newest.toml"
    path.write_text(path.read_text().replace(old, new, 1))
    with pytest.raises(MatrixError, match=message):
        data_facts(load_matrices(directory))


def _env(*packages: tuple[str, str]) -> Environment:
    return environment(*packages, python="3.12.8")


@pytest.mark.parametrize(
    ("name", "version", "stale"),
    [
        pytest.param("keras", "3.16.0", True, id="newer"),
        pytest.param("keras", "3.15.1", False, id="equal"),
        pytest.param("keras", "3.9.0", False, id="older"),
        pytest.param("torch", "2.15.0+cu132", False, id="local-label-is-the-same-release"),
        pytest.param("torch", "2.16.0.dev20261130", True, id="nightly-of-a-newer-release"),
        pytest.param("nvidia-nccl-cu13", "2.31.1", False, id="only-pinned-not-harvested"),
        pytest.param("nvidia-cudnn-cu13", "9.29.0.1", True, id="cudnn-wheel-newer"),
        pytest.param("numpy", "2.5.6", True, id="newest-toml"),
        pytest.param("numpy", "2.5.5", False, id="newest-toml-equal"),
        pytest.param("requests", "9.9.9", False, id="not-audited"),
    ],
)
def test_newer_than_data(tmp_path: Path, name: str, version: str, stale: bool) -> None:
    matrices = load_matrices(_copy(tmp_path, harvest=HARVEST))
    found = newer_than_data(_env((name, version)), matrices)
    assert bool(found) is stale


def test_exact_pins_of_the_recorded_wheels() -> None:
    # the real Requires-Dist of the torchaudio 2.5.0 and torchvision 0.20.1 wheels
    doc = {
        "harvested": "2026-12-07",
        "packages": {
            "torchaudio": {"releases": {"2.5.0": {"metadata": {"requires_dist": ["torch==2.5.0"]}}}},
            "torchvision": {
                "releases": {
                    "0.20.1": {
                        "metadata": {
                            "requires_dist": [
                                "numpy",
                                "torch==2.5.1",
                                "pillow!=8.3.*,>=5.3.0",
                                'gdown>=4.7.3; extra == "gdown"',
                            ]
                        }
                    },
                    "0.20.0": {"metadata": {"error": "pip: no wheel"}},
                }
            },
        },
    }
    assert harvest_pins([doc]) == {
        "torchaudio==2.5.0": ["torch==2.5.0"],
        "torchvision==0.20.1": ["torch==2.5.1"],
    }


def test_the_checkout_summary_carries_the_pins() -> None:
    pins = load_matrices().harvest_summary().pins
    assert pins["torchaudio==2.5.0"] == ["torch (==2.5.0)"]  # the wheel's own spelling
    assert pins["torchvision==0.29.0"] == ["torch (==2.14.0)"]
