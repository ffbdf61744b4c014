"""Smoke kernel for PyTorch: conv2d forward and backward on every device torch sees.

Run standalone by the runner (``python torch_conv.py``); prints one JSON line.
torch does not depend on numpy, so nothing here needs it: tensors are built
with ``torch.as_tensor`` (from numpy arrays or nested lists, whichever the
reference from :func:`_common.available_reference` gives) and read back with
``tolist()``, which both references accept.
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


def torch_devices(torch: Any) -> list[_common.Device]:
    """CPU, each CUDA (or ROCm) GPU, and MPS where torch sees them."""
    devices = [_common.Device("cpu", torch.device("cpu"), _common.cpu_name())]
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            major, _minor = torch.cuda.get_device_capability(index)
            skip = {}
            with torch.cuda.device(index):
                if not torch.cuda.is_bf16_supported():
                    skip["bfloat16"] = "torch reports no bfloat16 support on this GPU"
            devices.append(
                _common.Device(
                    f"cuda:{index}",
                    torch.device(f"cuda:{index}"),
                    torch.cuda.get_device_name(index),
                    # cuDNN convolutions use TF32 on Ampere+ unless the user turned it off.
                    tf32=bool(torch.backends.cudnn.allow_tf32) and major >= 8,
                    dtypes=_common.accelerator_dtypes(),
                    skip=skip,
                )
            )
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append(_common.Device("mps", torch.device("mps"), "Apple MPS", dtypes=("float32", "float16")))
    return devices


def runtime_info(torch: Any) -> dict[str, str]:
    info = {"torch": str(torch.__version__), "cuda": str(torch.version.cuda or "none")}
    hip = getattr(torch.version, "hip", None)
    if hip:
        info["hip"] = str(hip)
    if torch.cuda.is_available():
        info["cudnn"] = str(torch.backends.cudnn.version() or "none")
    return info


def make_run_case(torch: Any) -> _common.RunCase:
    functional = torch.nn.functional

    def synchronize(device: _common.Device) -> None:
        if device.name.startswith("cuda"):
            torch.cuda.synchronize(device.handle)
        elif device.name == "mps":
            torch.mps.synchronize()

    def to_float64(tensor: Any) -> list[Any]:
        # MPS has no float64: move to the CPU first. tolist() works without numpy.
        values: list[Any] = tensor.detach().cpu().to(torch.float64).tolist()
        return values

    def run_case(device: _common.Device, dtype: str, x: Any, w: Any, g: Any) -> _common.CaseOutput:
        dt = getattr(torch, dtype)

        def put(a: Any) -> Any:
            # as_tensor takes a numpy array or nested lists alike.
            return torch.as_tensor(a, dtype=torch.float64).to(dt).to(device.handle)

        xt, wt, gt = put(x).requires_grad_(True), put(w).requires_grad_(True), put(g)

        def forward() -> Any:
            out = functional.conv2d(xt, wt, padding=_common.PAD)
            synchronize(device)
            return out

        forward_ms = _common.median_ms(forward)
        y = functional.conv2d(xt, wt, padding=_common.PAD)

        def backward() -> Any:
            grads = torch.autograd.grad(y, (xt, wt), gt, retain_graph=True)
            synchronize(device)
            return grads

        backward_ms = _common.median_ms(backward)
        dx, dw = torch.autograd.grad(y, (xt, wt), gt)
        return _common.CaseOutput(to_float64(y), to_float64(dx), to_float64(dw), forward_ms, backward_ms)

    return run_case


def main() -> None:
    _common.progress("importing")
    torch = importlib.import_module("torch")
    threads = _common.thread_limit()
    if threads:
        torch.set_num_threads(threads)
    _common.progress("listing devices")
    payload = _common.run_all(
        "torch",
        str(torch.__version__),
        runtime_info(torch),
        torch_devices(torch),
        make_run_case(torch),
        _common.available_reference(),
    )
    _common.emit(payload)


if __name__ == "__main__":
    main()
