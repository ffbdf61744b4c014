"""Smoke kernel for Keras 3: a ``keras.layers.Conv2D`` through the configured backend.

Run standalone by the runner (``python keras_conv.py``); prints one JSON line.
The backend is whatever Keras picks (``KERAS_BACKEND`` or ``~/.keras/keras.json``)
and is reported; gradients come from that backend's own autodiff.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from compataudit.smoke.kernels import _common
else:  # run as a script: the kernels folder is sys.path[0]
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import _common

import numpy as np

AUTODIFF_BACKENDS = ("tensorflow", "torch", "jax")
NHWC, OIHW_FROM_HWIO = (0, 2, 3, 1), (3, 2, 0, 1)


def accelerators(backend: str) -> list[tuple[str, str, str | None]]:
    """(compataudit name, keras device string, device name) for each accelerator."""
    found: list[tuple[str, str, str | None]] = []
    if backend == "tensorflow":
        tf = importlib.import_module("tensorflow")
        prefix = "cuda" if tf.test.is_built_with_cuda() else "gpu"
        for i, gpu in enumerate(tf.config.list_physical_devices("GPU")):
            details = tf.config.experimental.get_device_details(gpu) or {}
            found.append((f"{prefix}:{i}", f"gpu:{i}", details.get("device_name")))
    elif backend == "torch":
        torch = importlib.import_module("torch")
        if torch.cuda.is_available():
            count = torch.cuda.device_count()
            found += [(f"cuda:{i}", f"cuda:{i}", torch.cuda.get_device_name(i)) for i in range(count)]
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            found.append(("mps", "mps", "Apple MPS"))
    elif backend == "jax":
        jax = importlib.import_module("jax")
        if jax.default_backend() != "cpu":
            for i, dev in enumerate(jax.devices()):
                version = str(getattr(dev.client, "platform_version", ""))
                name = _common.jax_device_label(dev.platform, version, i)
                found.append((name, f"{dev.platform}:{dev.id}", str(dev.device_kind)))
    return found


def keras_devices(backend: str) -> list[_common.Device]:
    no_grad = {}
    if backend not in AUTODIFF_BACKENDS:
        no_grad = {"float32": f"the {backend} backend has no automatic differentiation"}
    devices = [_common.Device("cpu", "cpu:0", _common.cpu_name(), skip=no_grad)]
    for name, handle, device_name in accelerators(backend):
        # Whether TF32 is on depends on the backend and the GPU; allow its tolerance
        # on every CUDA GPU rather than fail an Ampere+ card for using it.
        dtypes = ("float32", "float16") if name == "mps" else _common.accelerator_dtypes()
        devices.append(_common.Device(name, handle, device_name, tf32=name.startswith("cuda"), dtypes=dtypes))
    return devices


def make_gradient(backend: str, keras: Any) -> Any:
    """A function (layer, x, g) -> (y, backward) where backward() returns (dx, dw)."""
    if backend == "tensorflow":
        tf = importlib.import_module("tensorflow")

        def tf_grad(layer: Any, x: Any, g: Any) -> Any:
            with tf.GradientTape(persistent=True) as tape:
                tape.watch(x)
                y = layer(x)
            return y, lambda: tape.gradient(y, [x, layer.kernel.value], output_gradients=g)

        return tf_grad
    if backend == "torch":
        torch = importlib.import_module("torch")

        def torch_grad(layer: Any, x: Any, g: Any) -> Any:
            x.requires_grad_(True)
            y = layer(x)
            kernel = layer.kernel.value
            return y, lambda: torch.autograd.grad(y, (x, kernel), g, retain_graph=True)

        return torch_grad
    jax = importlib.import_module("jax")

    def jax_grad(layer: Any, x: Any, g: Any) -> Any:
        def apply(xa: Any, kernel: Any) -> Any:
            return layer.stateless_call([kernel], [], xa)[0]

        y, pullback = jax.vjp(apply, x, layer.kernel.value)
        return y, lambda: pullback(g)

    return jax_grad


def make_run_case(keras: Any, backend: str) -> _common.RunCase:
    ops = keras.ops
    gradient = make_gradient(backend, keras)

    def host(tensor: Any) -> np.ndarray:
        # Copying to the host also waits for the device.
        return np.asarray(ops.convert_to_numpy(ops.cast(tensor, "float32"))).astype(np.float64)

    def run_case(
        device: _common.Device, dtype: str, x: np.ndarray, w: np.ndarray, g: np.ndarray
    ) -> _common.CaseOutput:
        with keras.device(device.handle):
            layer = keras.layers.Conv2D(
                _common.OUT_CH, _common.KSIZE, padding="same", use_bias=False, dtype=dtype
            )
            layer.build((None, _common.SIZE, _common.SIZE, _common.IN_CH))
            layer.kernel.assign(w.transpose(2, 3, 1, 0).astype(np.float32))

            def put(a: np.ndarray) -> Any:
                return ops.cast(ops.convert_to_tensor(a.transpose(NHWC).astype(np.float32)), dtype)

            xt, gt = put(x), put(g)
            forward_ms = _common.median_ms(lambda: host(layer(xt)))
            y, backward = gradient(layer, xt, gt)
            backward_ms = _common.median_ms(lambda: [host(t) for t in backward()])
            dx, dw = backward()
        return _common.CaseOutput(
            host(y).transpose(0, 3, 1, 2),
            host(dx).transpose(0, 3, 1, 2),
            host(dw).transpose(OIHW_FROM_HWIO),
            forward_ms,
            backward_ms,
        )

    return run_case


def main() -> None:
    _common.progress("importing")
    keras = importlib.import_module("keras")
    backend = str(keras.backend.backend())
    threads = _common.thread_limit()
    if threads and backend == "torch":
        importlib.import_module("torch").set_num_threads(threads)
    elif threads and backend == "tensorflow":
        importlib.import_module("tensorflow").config.threading.set_intra_op_parallelism_threads(threads)
    runtime = {
        "keras": str(keras.__version__),
        "backend": backend,
        "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "(unset)"),
    }
    _common.progress("listing devices")
    payload = _common.run_all(
        "keras",
        str(keras.__version__),
        runtime,
        keras_devices(backend),
        make_run_case(keras, backend),
    )
    _common.emit(payload)


if __name__ == "__main__":
    main()
