"""Signatures of compiled custom ops, tensor placement and base-class methods, for ``explain``.

Custom-op libraries (mmcv, detectron2, maskrcnn-benchmark, Deformable-DETR)
word their own errors: an op *built without CUDA* ("implementation for device
cuda:0 not found", "Not compiled with GPU support") is an install problem; an
op *run on the CPU* that only has CUDA kernels ("Not implemented on the CPU")
is a placement problem. Tensors and weights on different devices or dtypes
are code problems. A bare ``raise NotImplementedError`` in a base-class method
means the user's subclass left that method out.
"""

from __future__ import annotations

from compataudit import doctor as k
from compataudit.doctor.signatures import GH, Signature

_CUSTOM_OP_FIX = (
    "Reinstall the extension built for your torch and CUDA (mmcv: `mim install mmcv`, not "
    "mmcv-lite; a source build needs nvcc and CUDA_HOME, or FORCE_CUDA=1, at build time)."
)
_SAME_DEVICE_FIX = (
    "Move the model and every input to one device: `model.to(device)` and `x.to(device)`; create "
    "tensors inside `forward` with `device=x.device`, and register constant tensors as buffers so "
    "that `.to()` moves them too."
)
_CPU_OP_FIX = (
    "Run this model on a CUDA GPU (move the model and its inputs with `.to('cuda')`), or "
    "replace the op with a pure-PyTorch fallback where the library offers one."
)

OPS_SIGNATURES: tuple[Signature, ...] = (
    Signature(
        "O1",
        k.TORCH_EXTENSION_MISMATCH,
        "mmcv",
        # A terminal may wrap the device name ("cu\nda:0").
        (
            r"\b(?P<op>\w{1,80}?)_impl(?:_\w+)?: implementation for device "
            r"(?P<device>[a-z]+(?:\n[a-z]+)?)(?::\d+)?\s+not found",
        ),
        "mmcv's compiled `{op}` has no kernel for device `{device}`.",
        _CUSTOM_OP_FIX,
        ("mmcv", "torch"),
        (
            GH + "open-mmlab/mmdetection/issues/7788",
            GH + "open-mmlab/mmdetection/issues/10841",
            GH + "open-mmlab/mmcv/issues/2410",
        ),
        0.85,
        ("RuntimeError",),
        analyzer="mmcv_device",
    ),
    Signature(
        "O2",
        k.TORCH_EXTENSION_MISMATCH,
        "extension",
        (r"Not compiled with (?:GPU|CUDA) support(?: \((?P<op>\w+))?",),
        "A compiled extension (detectron2 / maskrcnn-benchmark style `_C`) was built without "
        "CUDA, so its op `{op}` cannot run on the GPU.",
        "Rebuild the extension where CUDA is visible (`torch.cuda.is_available()`, nvcc and "
        "CUDA_HOME; FORCE_CUDA=1 on a machine without a GPU), after installing a CUDA build of "
        "torch; or install a prebuilt wheel matching your torch and CUDA.",
        ("torch",),
        (
            GH + "facebookresearch/detectron2/issues/55",
            GH + "facebookresearch/detectron2/issues/267",
            GH + "clw5180/remote_sensing_object_detection_2019/issues/14",
            GH + "zrqiao/NeuralPLexer/issues/25",
        ),
        0.85,
        analyzer="extension_without_cuda",
    ),
    Signature(
        "O3",
        k.CUDA_ONLY_EXTENSION_OP,
        "extension",
        (
            r"\bNot implemented on the CPU\b(?: \((?P<op>\w+))?",
            r"\b(?P<op>[A-Z]\w+) is not implemented on CPU\b",
        ),
        "A compiled op with CUDA kernels only (deformable convolution / attention, ROIAlign "
        "backward) got CPU tensors.",
        _CPU_OP_FIX,
        ("torch",),
        (
            GH + "fundamentalvision/Deformable-DETR/issues/166",
            GH + "facebookresearch/maskrcnn-benchmark/issues/684",
            GH + "open-mmlab/mmdetection/issues/5208",
            GH + "HolyWu/vs-basicvsrpp/issues/2",
        ),
        0.8,
        analyzer="cuda_only_op",
    ),
    Signature(
        "D1",
        k.DEVICE_MISMATCH,
        "torch",
        (
            r"Input type \((?P<input>[\w.]+)\) and weight type \((?P<weight>[\w.]+)\)",
            r"Expected tensor for argument #\d+ '\w+' to have the same type as tensor for argument "
            r"#\d+ '\w+'; but type (?P<input2>[\w.]+) does not equal (?P<weight2>[\w.]+)",
        ),
        "The input and the layer's weight are on different devices.",
        _SAME_DEVICE_FIX,
        ("torch",),
        (
            GH + "sksq96/pytorch-summary/issues/16",
            GH + "Yu-Fangxu/COLD-Attack/issues/20",
            GH + "ayooshkathuria/pytorch-yolo-v3/issues/7",
        ),
        0.85,
        ("RuntimeError",),
        analyzer="tensor_types",
    ),
    Signature(
        "D2",
        k.DEVICE_MISMATCH,
        "torch",
        (
            r"Expected all tensors to be on the same device, but found at least two devices, "
            r"(?P<a>[\w:]+) and (?P<b>[\w:]+)",
            # torch <= 1.4 wordings
            r"Expected object of (?:backend|device type) (?P<a>\w+) but got (?:backend|device type) "
            r"(?P<b>\w+)",
        ),
        "One operation got tensors on {a} and on {b}.",
        _SAME_DEVICE_FIX,
        ("torch",),
        (
            GH + "wmyw96/FAST-NN/issues/1",
            GH + "nunchux-ai/nunchaku/issues/805",
            GH + "xcmyz/FastSpeech/issues/93",
        ),
        0.85,
        ("RuntimeError",),
        analyzer="tensor_types",
    ),
    Signature(
        "D3",
        k.DTYPE_MISMATCH,
        "torch",
        (
            r"expected scalar type (?P<a>\w+) but found (?P<b>\w+)",
            r"[Ee]xpected object of scalar type (?P<a>\w+) but got scalar type (?P<b>\w+)",
            r"expected (?P<a>\w+) tensor \(got (?P<b>\w+) tensor\)",
        ),
        "An op got a {b} tensor where it expected {a} (the input and the weights, or two operands, "
        "differ in dtype: often float64 data from NumPy into a float32 model).",
        "Cast to one dtype: `x.float()` / `x.to(model_dtype)` for inputs, `.astype('float32')` for "
        "NumPy data, or `model.double()` if you mean float64.",
        ("torch",),
        (
            GH + "theislab/scarches/issues/195",
            GH + "siraxe/ComfyUI-LTX-FDG/issues/2",
            GH + "pytorch/pytorch/issues/2552",
        ),
        0.8,
        ("RuntimeError",),
    ),
    Signature(
        "D4",
        k.DEVICE_MISMATCH,
        "torch",
        (r"indices should be either on cpu or on the same device as the indexed tensor \((?P<a>\w+)\)",),
        "A tensor on {a} is indexed with indices on another device.",
        "Move the indices to the indexed tensor's device (`idx.to(t.device)`), or keep both on one device.",
        ("torch",),
        (GH + "open-mmlab/mmrotate/issues/593",),
        0.8,
        ("RuntimeError",),
    ),
    Signature(
        "NIE-base",
        k.MISSING_METHOD,
        "python",
        # The exception line, not IPython's "NotImplementedError   Traceback (...)" header.
        (r"^(?:\w+\.)*NotImplementedError\b(?![ \t]+Traceback):?[ \t]*(?P<message>[^\n]*)$",),
        "A base-class method that subclasses must override raised NotImplementedError.",
        "Implement the method in your subclass.",
        ("python",),
        (
            GH + "muhanzhang/IGMC/issues/31",
            GH + "mutianxu/GDANet/issues/2",
            GH + "open-mmlab/OpenPCDet/issues/96",
        ),
        0.7,
        ("NotImplementedError",),
        analyzer="base_method",
    ),
)
