"""Smoke kernel for TensorFlow: conv2d forward and backward (GradientTape) on every device.

Run standalone by the runner (``python tf_conv.py``); prints one JSON line.
TensorFlow wants NHWC input and HWIO filters on the CPU, so the arrays are
transposed here and back; the reference stays NCHW.
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


def tf_devices(tf: Any, build: dict[str, Any]) -> list[_common.Device]:
    """The CPU and each GPU TensorFlow lists, named ``cuda:N`` for CUDA builds."""
    devices = [_common.Device("cpu", "/CPU:0", _common.cpu_name())]
    prefix = "cuda" if build.get("is_cuda_build") else "gpu"
    tf32_on = bool(tf.config.experimental.tensor_float_32_execution_enabled())
    for index, gpu in enumerate(tf.config.list_physical_devices("GPU")):
        details = tf.config.experimental.get_device_details(gpu) or {}
        capability = details.get("compute_capability")  # (major, minor) on CUDA builds
        major = capability[0] if capability else None
        skip = {}
        if major is not None and major < 8:
            skip["bfloat16"] = "bfloat16 convolutions need compute capability 8.0 or newer"
        devices.append(
            _common.Device(
                f"{prefix}:{index}",
                f"/GPU:{index}",
                details.get("device_name"),
                # TF runs float32 convolutions in TF32 on Ampere+ unless disabled.
                tf32=tf32_on and (major is None or major >= 8),
                dtypes=_common.accelerator_dtypes(),
                skip=skip,
            )
        )
    return devices


def runtime_info(tf: Any, build: dict[str, Any]) -> dict[str, str]:
    info = {"tensorflow": str(tf.__version__), "cuda": str(build.get("cuda_version") or "none")}
    if build.get("cudnn_version"):
        info["cudnn"] = str(build["cudnn_version"])
    if build.get("is_rocm_build"):
        info["rocm"] = str(build.get("rocm_version") or "yes")
    return info


def make_run_case(tf: Any) -> _common.RunCase:
    def to_float64(tensor: Any, axes: tuple[int, ...]) -> np.ndarray:
        # .numpy() copies to the host, which also waits for the device.
        host: np.ndarray = np.asarray(tf.cast(tensor, tf.float64).numpy())
        return np.transpose(host, axes)

    def run_case(
        device: _common.Device, dtype: str, x: np.ndarray, w: np.ndarray, g: np.ndarray
    ) -> _common.CaseOutput:
        dt = getattr(tf, dtype)
        with tf.device(device.handle):
            xt = tf.cast(tf.constant(x.transpose(0, 2, 3, 1)), dt)
            wt = tf.cast(tf.constant(w.transpose(2, 3, 1, 0)), dt)
            gt = tf.cast(tf.constant(g.transpose(0, 2, 3, 1)), dt)

            def conv() -> Any:
                return tf.nn.conv2d(xt, wt, strides=1, padding="SAME")

            forward_ms = _common.median_ms(lambda: conv().numpy())
            with tf.GradientTape(persistent=True) as tape:
                tape.watch([xt, wt])
                y = conv()

            def backward() -> Any:
                dx, dw = tape.gradient(y, [xt, wt], output_gradients=gt)
                return dx.numpy(), dw.numpy()

            backward_ms = _common.median_ms(backward)
            dx, dw = tape.gradient(y, [xt, wt], output_gradients=gt)
        return _common.CaseOutput(
            to_float64(y, (0, 3, 1, 2)),
            to_float64(dx, (0, 3, 1, 2)),
            to_float64(dw, (3, 2, 0, 1)),
            forward_ms,
            backward_ms,
        )

    return run_case


def main() -> None:
    _common.progress("importing")
    tf = importlib.import_module("tensorflow")
    threads = _common.thread_limit()
    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
    build = dict(tf.sysconfig.get_build_info())
    _common.progress("listing devices")
    payload = _common.run_all(
        "tensorflow",
        str(tf.__version__),
        runtime_info(tf, build),
        tf_devices(tf, build),
        make_run_case(tf),
    )
    _common.emit(payload)


if __name__ == "__main__":
    main()
