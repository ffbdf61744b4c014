"""The NotImplementedError doctor: ``lint`` for model code, ``explain`` for tracebacks.

``lint`` reads Python files with :mod:`ast` only (user code is never imported or
run) and reports :class:`Problem` values; ``explain`` maps an error text to
ranked :class:`~compataudit.doctor.explain.Diagnosis` values. Both use the
diagnosis kinds from the design notes; the strings never change.
"""

from __future__ import annotations

from dataclasses import dataclass

from compataudit.model import Severity

# Code causes (lint and explain).
MISSING_FORWARD = "missing-forward"
MISSING_CALL = "missing-call"
MISSING_BACKWARD = "missing-backward"
NON_STATIC_AUTOGRAD = "non-static-autograd"
MISSING_GET_CONFIG = "missing-get-config"
MISSING_SUPER_INIT = "missing-super-init"
MISSING_METHOD = "missing-method"
SYNTAX_ERROR = "syntax-error"
# Added kind: a conv weight created with a literal shape of the wrong rank.
CONV_WEIGHT_SHAPE = "conv-weight-shape"

# Environment causes (explain).
CPU_ONLY_BUILD = "cpu-only-build"
TORCH_EXTENSION_MISMATCH = "torch-extension-mismatch"
MPS_UNSUPPORTED_OP = "mps-unsupported-op"
NUMPY_INCOMPATIBLE = "numpy-incompatible"
KERAS_VERSION_MIX = "keras-version-mix"
DRIVER_TOO_OLD = "driver-too-old"
GPU_ARCH_UNSUPPORTED = "gpu-arch-unsupported"
CUDA_LIBRARIES_MISSING = "cuda-libraries-missing"
API_VERSION_MISMATCH = "api-version-mismatch"
# Added kinds for signatures the base list does not cover.
PYTHON_UNSUPPORTED = "python-unsupported"
QUANTIZATION_MISMATCH = "quantization-mismatch"
META_DEVICE_WEIGHTS = "meta-device-weights"
# Added kinds (issue 11): tensors or an op on the wrong device, mismatched dtypes,
# a CUDA-only compiled op given CPU tensors, a Keras layer that cannot take a mask.
DEVICE_MISMATCH = "device-mismatch"
DTYPE_MISMATCH = "dtype-mismatch"
CUDA_ONLY_EXTENSION_OP = "cuda-only-extension-op"
LAYER_MASKING_UNSUPPORTED = "layer-masking-unsupported"
# Added kinds (issues 19 and 20): the environment errors users paste (cuDNN, the CUDA
# toolkit, libstdc++, protobuf, jaxlib, PTX) and a checkpoint that pickled a pathlib path.
CUDNN_VERSION_MISMATCH = "cudnn-version-mismatch"
CUDA_TOOLKIT_MISMATCH = "cuda-toolkit-mismatch"
GLIBCXX_TOO_OLD = "glibcxx-too-old"
PROTOBUF_INCOMPATIBLE = "protobuf-incompatible"
JAXLIB_VERSION_MISMATCH = "jaxlib-version-mismatch"
PTX_TOOLCHAIN_TOO_NEW = "ptx-toolchain-too-new"
PICKLED_PATH_PLATFORM = "pickled-path-platform"


@dataclass(frozen=True)
class Problem:
    """One lint problem: where it is, what it is and how to fix it."""

    kind: str
    severity: Severity
    path: str
    line: int
    symbol: str  # the class name ("" for file-level problems such as syntax errors)
    message: str
    fix: str

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "severity": self.severity.value,
            "path": self.path,
            "line": self.line,
            "symbol": self.symbol,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class Skipped:
    """A file lint did not read, and why."""

    path: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}
