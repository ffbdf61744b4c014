"""One home for what we know about distribution names.

Which distributions are TensorFlow, which make up the audited stack (and in what
order a person wants to read it), which import directory each framework ships, and
the canonical (PEP 503) form of a name. Every module that needs one of these facts
imports it from here, so a new TensorFlow variant is added once.
"""

from __future__ import annotations

import re

# Every distribution that installs the ``tensorflow`` package.
TENSORFLOW = (
    "tensorflow",
    "tensorflow-cpu",
    "tensorflow-gpu",
    "tensorflow-intel",
    "tensorflow-macos",
    "tensorflow-aarch64",
    "tensorflow-cpu-aws",
    "tensorflow-rocm",
    "tf-nightly",
    "tf-nightly-cpu",
    "tf-nightly-gpu",
)
KERAS = ("keras", "tf-keras")
TORCH_FAMILY = ("torch", "torchvision", "torchaudio")
JAX_PLUGINS = ("jax-cuda12-plugin", "jax-cuda12-pjrt", "jax-cuda13-plugin", "jax-cuda13-pjrt")
JAX_FAMILY = ("jax", "jaxlib", *JAX_PLUGINS)
# The frameworks and their companion packages, in the order a stack is read.
FRAMEWORKS = (*TORCH_FAMILY, *TENSORFLOW, *KERAS, "jax", "jaxlib")
# What the frameworks stand on; a change here breaks them as surely.
RUNTIME = ("numpy", "protobuf", "ml-dtypes", "xformers", "triton")
# Conda packages that provide the CUDA libraries of a conda environment.
CONDA_CUDA = ("pytorch-cuda", "cudatoolkit", "cuda-version", "cuda-runtime", "cuda-cudart", "cudnn")
# The audited stack, in display order: what every report shows when it is installed.
AUDITED_STACK = (*FRAMEWORKS, *JAX_PLUGINS, *RUNTIME, *CONDA_CUDA)

# The import directory each stack distribution must ship next to its metadata.
IMPORT_DIRS: dict[str, str] = {
    **{name: name for name in TORCH_FAMILY},
    **dict.fromkeys(TENSORFLOW, "tensorflow"),
    "keras": "keras",
    "tf-keras": "tf_keras",
    "jax": "jax",
    "jaxlib": "jaxlib",
    "numpy": "numpy",
    "xformers": "xformers",
    "triton": "triton",
}


_SEPARATORS = re.compile(r"[-_.]+")


def canonical_name(name: str) -> str:
    """PEP 503 normalisation: ``TensorFlow_CPU`` -> ``tensorflow-cpu``.

    The rule itself, as packaging.utils.canonicalize_name applies it: importing that module
    pulls in packaging.tags, logging and sysconfig, which every run would pay for.
    """
    return _SEPARATORS.sub("-", name.strip()).lower()


def is_tensorflow(name: str) -> bool:
    """Whether distribution ``name`` (canonical) installs the ``tensorflow`` package."""
    return name in TENSORFLOW


def family(name: str) -> str | None:
    """The framework a stack distribution belongs to: torch, tensorflow or jax (keras counts
    as TensorFlow's); None for anything else."""
    if name in TORCH_FAMILY:
        return "torch"
    if name in TENSORFLOW or name in KERAS:
        return "tensorflow"
    if name in JAX_FAMILY:
        return "jax"
    return None
