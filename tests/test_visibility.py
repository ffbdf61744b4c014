"""CUDA_VISIBLE_DEVICES as CUDA reads it: indices, UUIDs, MIG, empty, -1, device order."""

from __future__ import annotations

import pytest

from compataudit.model import Environment, Gpu, NvidiaInfo, ProbeStatus
from compataudit.probes.visibility import split_gpus
from tests.envs import environment

GPUS = (
    Gpu(index=0, name="Tesla P100", uuid="GPU-1a2b3c4d-0000", compute_capability="6.0"),
    Gpu(index=1, name="A100", uuid="GPU-5e6f7a8b-1111", compute_capability="8.0", mig_mode="enabled"),
    Gpu(index=2, name="L4", uuid="GPU-5e6f9999-2222", compute_capability="8.9"),
)


def _env(visible: str | None, order: str | None = "PCI_BUS_ID", gpus: tuple[Gpu, ...] = GPUS) -> Environment:
    return environment(
        nvidia=NvidiaInfo(status=ProbeStatus.OK, gpus=gpus, visible_devices=visible),
        env_vars=(("CUDA_DEVICE_ORDER", order),) if order else (),
    )


@pytest.mark.parametrize(
    ("visible", "order", "shown"),
    [
        (None, "PCI_BUS_ID", [0, 1, 2]),
        ("", "PCI_BUS_ID", []),
        ("-1", "PCI_BUS_ID", []),
        ("2,0", "PCI_BUS_ID", [2, 0]),
        (" 1 ", "PCI_BUS_ID", [1]),
        ("0,7,2", "PCI_BUS_ID", [0]),  # enumeration stops at the first invalid entry
        ("0,-1,2", "PCI_BUS_ID", [0]),
        ("GPU-5e6f7a8b", "PCI_BUS_ID", [1]),  # a unique prefix is enough
        ("GPU-5e6f", "PCI_BUS_ID", []),  # ambiguous prefix names no device
        ("gpu-1a2b3c4d-0000", "PCI_BUS_ID", [0]),
        ("MIG-0c3f7a8e-aaaa-bbbb", "PCI_BUS_ID", [1]),  # a MIG instance lives on a MIG-mode GPU
        ("MIG-GPU-5e6f9999-2222/1/0", "PCI_BUS_ID", [2]),  # CUDA 11 form names its parent
        ("nonsense", "PCI_BUS_ID", []),
        ("0", None, [2]),  # FASTEST_FIRST: the most capable GPU is device 0
        ("0", "FASTEST_FIRST", [2]),
        ("2", None, [0]),
    ],
)
def test_visible_gpus(visible: str | None, order: str | None, shown: list[int]) -> None:
    visible_gpus, hidden = split_gpus(_env(visible, order))
    assert [g.index for g in visible_gpus] == shown
    assert sorted(g.index for g in hidden) == sorted({0, 1, 2} - set(shown))


def test_uuids_the_probe_could_not_read_hide_nothing() -> None:
    bare = tuple(Gpu(index=g.index, name=g.name, compute_capability=g.compute_capability) for g in GPUS)
    assert split_gpus(_env("GPU-5e6f7a8b", gpus=bare)) == (bare, ())
