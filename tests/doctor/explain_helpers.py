"""What the explain tests share: the traceback fixtures and the environment they are checked in."""

from __future__ import annotations

from pathlib import Path

from compataudit.doctor.diagnosis import Diagnosis
from compataudit.doctor.explain import explain_text
from compataudit.model import Environment, Gpu, NvidiaInfo, Package, ProbeStatus
from tests.envs import environment

TRACEBACKS = Path(__file__).resolve().parents[1] / "fixtures" / "tracebacks"


def make_env(
    *packages: tuple[str, str],
    requires: dict[str, tuple[str, ...]] | None = None,
    driver: str | None = None,
    cuda_driver: str | None = None,
    gpus: tuple[Gpu, ...] = (),
) -> Environment:
    """A what-if environment holding ``packages`` (with their ``requires``), the driver absent
    unless ``driver`` is given."""
    requires = requires or {}
    return environment(
        python="3.11.9",
        packages=tuple(Package(name=n, version=v, requires=requires.get(n, ())) for n, v in packages),
        nvidia=NvidiaInfo(
            status=ProbeStatus.OK if driver else ProbeStatus.ABSENT,
            driver_version=driver,
            cuda_driver_version=cuda_driver,
            gpus=gpus,
        ),
        origin="what-if",
    )


def first_diagnosis(path: Path, env: Environment | None = None) -> Diagnosis:
    """The best diagnosis of the error text in ``path`` (there must be one), in ``env``."""
    diagnoses = explain_text(path.read_text(encoding="utf-8"), env)
    assert diagnoses, path.name
    return diagnoses[0]
