"""Smoke kernel for JAX: ``lax.conv_general_dilated`` forward and ``jax.vjp`` backward.

Run standalone by the runner (``python jax_conv.py``); prints one JSON line.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from compataudit.smoke.kernels import _common
else:  # run as a script: the kernels folder is sys.path[0]
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import _common

import numpy as np


def jax_devices(jax: Any) -> list[_common.Device]:
    """The first CPU device and every accelerator JAX sees."""
    cpu = jax.devices("cpu")[0]
    devices = [_common.Device("cpu", cpu, _common.cpu_name())]
    if jax.default_backend() == "cpu":
        return devices
    for index, dev in enumerate(jax.devices()):
        version = str(getattr(dev.client, "platform_version", ""))
        name = _common.jax_device_label(dev.platform, version, index)
        capability = str(getattr(dev, "compute_capability", "") or "")
        major = int(capability.split(".")[0]) if capability[:1].isdigit() else None
        skip = {}
        if major is not None and major < 8:
            skip["bfloat16"] = "bfloat16 convolutions need compute capability 8.0 or newer"
        devices.append(
            _common.Device(
                name,
                dev,
                str(getattr(dev, "device_kind", "")) or None,
                # XLA's default precision runs float32 convolutions in TF32 on Ampere+
                # (bfloat16 passes on TPU, which is why TPUs get HIGHEST below).
                tf32=name.startswith("cuda") and (major is None or major >= 8),
                dtypes=_common.accelerator_dtypes(),
                skip=skip,
            )
        )
    return devices


def runtime_info(jax: Any) -> dict[str, str]:
    info = {"jax": str(jax.__version__), "jaxlib": str(getattr(jax.lib, "__version__", "unknown"))}
    backend = jax.default_backend()
    info["backend"] = str(backend)
    if backend != "cpu":
        info["platform_version"] = str(getattr(jax.devices()[0].client, "platform_version", ""))
    return info


def make_run_case(jax: Any) -> _common.RunCase:
    jnp = importlib.import_module("jax.numpy")
    lax = jax.lax

    def to_float64(array: Any) -> np.ndarray:
        return np.asarray(jnp.asarray(array, dtype=jnp.float32)).astype(np.float64)

    def run_case(
        device: _common.Device, dtype: str, x: np.ndarray, w: np.ndarray, g: np.ndarray
    ) -> _common.CaseOutput:
        dt = getattr(jnp, dtype)
        precision = lax.Precision.HIGHEST if device.name.startswith("tpu") else None

        def put(a: np.ndarray) -> Any:
            return jax.device_put(a.astype(np.float32), device.handle).astype(dt)

        xd, wd, gd = put(x), put(w), put(g)
        pad = _common.PAD

        def conv_nchw(xa: Any, wa: Any) -> Any:
            return lax.conv_general_dilated(
                xa,
                wa,
                (1, 1),
                ((pad, pad), (pad, pad)),
                dimension_numbers=("NCHW", "OIHW", "NCHW"),
                precision=precision,
            )

        conv = jax.jit(conv_nchw)
        forward_ms = _common.median_ms(lambda: conv(xd, wd).block_until_ready())
        y, pullback = jax.vjp(conv, xd, wd)
        backward_ms = _common.median_ms(lambda: jax.block_until_ready(pullback(gd)))
        dx, dw = pullback(gd)
        return _common.CaseOutput(to_float64(y), to_float64(dx), to_float64(dw), forward_ms, backward_ms)

    return run_case


def main() -> None:
    _common.progress("importing")
    jax = importlib.import_module("jax")
    _common.progress("listing devices")
    payload = _common.run_all(
        "jax", str(jax.__version__), runtime_info(jax), jax_devices(jax), make_run_case(jax)
    )
    _common.emit(payload)


if __name__ == "__main__":
    main()
