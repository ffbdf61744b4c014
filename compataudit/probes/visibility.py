"""Which GPUs a CUDA program here would see: ``CUDA_VISIBLE_DEVICES`` as CUDA reads it.

The probes list every GPU the driver knows; the architecture and driver checks
judge only the visible ones (a hidden old GPU must not raise ARC001 and a
downgrade advice for the visible one), and reports list the others as hidden.

CUDA's rules (CUDA C Programming Guide, "CUDA Environment Variables"): a comma
separated list of indices, ``GPU-`` UUIDs (a unique prefix is enough) or ``MIG-``
instance UUIDs; enumeration stops at the first entry that names no device, so
``""`` and ``-1`` hide every GPU. Indices follow ``CUDA_DEVICE_ORDER``: with
``PCI_BUS_ID`` they are nvidia-smi's indices; with the default ``FASTEST_FIRST``
CUDA puts the most capable GPUs first, approximated here by compute capability
(on a machine of identical GPUs both orders are the PCI order).
"""

from __future__ import annotations

from compataudit.model import Environment, Gpu
from compataudit.versions import numeric_prefix


def split_gpus(env: Environment) -> tuple[tuple[Gpu, ...], tuple[Gpu, ...]]:
    """(visible, hidden) GPUs of ``env`` under its recorded ``CUDA_VISIBLE_DEVICES``."""
    gpus = env.nvidia.gpus
    setting = env.nvidia.visible_devices
    if setting is None or not gpus:
        return gpus, ()
    order = dict(env.env_vars).get("CUDA_DEVICE_ORDER", "FASTEST_FIRST").strip().upper()
    visible = _select(gpus, setting, pci_order=order == "PCI_BUS_ID")
    if visible is None:  # UUIDs named, but the probe could not read any: cannot tell
        return gpus, ()
    return visible, tuple(g for g in gpus if g not in visible)


def visible_gpus(env: Environment) -> tuple[Gpu, ...]:
    return split_gpus(env)[0]


def _cuda_order(gpus: tuple[Gpu, ...], pci_order: bool) -> list[Gpu]:
    by_index = sorted(gpus, key=lambda g: g.index)
    if pci_order:
        return by_index

    def capability(gpu: Gpu) -> tuple[int, ...]:
        v = numeric_prefix(gpu.compute_capability)
        return v.release if v is not None else (0,)

    return sorted(by_index, key=capability, reverse=True)  # stable: ties keep the PCI order


def _select(gpus: tuple[Gpu, ...], setting: str, *, pci_order: bool) -> tuple[Gpu, ...] | None:
    order = _cuda_order(gpus, pci_order)
    chosen: list[Gpu] = []
    for raw in setting.split(","):
        token = raw.strip()
        if token.lstrip("-").isdigit():
            index = int(token)
            found = [order[index]] if 0 <= index < len(order) else []
        elif token.upper().startswith(("GPU-", "MIG-")):
            if not any(g.uuid for g in gpus):
                return None
            found = _by_uuid(gpus, token)
        else:
            found = []
        if not found:
            break  # CUDA stops at the first entry that names no device
        chosen += [g for g in found if g not in chosen]
    return tuple(chosen)


def _by_uuid(gpus: tuple[Gpu, ...], token: str) -> list[Gpu]:
    upper = token.upper()
    if upper.startswith("MIG-GPU-"):  # CUDA 11.0-11.3 form: MIG-GPU-<parent uuid>/gi/ci
        upper = upper[len("MIG-") :].split("/", 1)[0]
    elif upper.startswith("MIG-"):
        # A MIG instance UUID does not name its parent GPU: any GPU in MIG mode may hold it.
        return [g for g in gpus if (g.mig_mode or "").lower() == "enabled"]
    matches = [g for g in gpus if g.uuid and g.uuid.upper().startswith(upper)]
    return matches if len(matches) == 1 else []  # a prefix must be unique
