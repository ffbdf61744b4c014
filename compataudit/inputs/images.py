"""Base images of Dockerfiles: what ``FROM reference`` fixes about the stack.

``python:3.11-slim`` (the interpreter), ``pytorch/pytorch:2.4.1-cuda12.1-cudnn9-runtime``
(torch and its CUDA build), ``tensorflow/tensorflow:2.15.0-gpu``, ``nvidia/cuda:12.1.0-cudnn8-…``
(the system CUDA / cuDNN) and ``nvcr.io/nvidia/<container>:YY.MM`` (an NGC release). A tag
that names no version is said in a note, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from compataudit.inputs import Pin
from compataudit.model import BuildInfo


@dataclass(frozen=True)
class BaseImage:
    """What a base image reference fixes about the stack."""

    python: str | None = None
    pins: tuple[Pin, ...] = ()
    system_cuda: str | None = None
    system_cudnn: str | None = None
    ngc: tuple[str, str] | None = None  # (container, release): ("pytorch", "24.07")
    framework: str | None = None  # the framework the image ships: "torch" | "tensorflow"
    note: str | None = None


_PYTHON_TAG = re.compile(r"^(3\.\d+(?:\.\d+)?)(?:$|[-.])")
# 2.4.1-cuda12.1-cudnn9-runtime; older tags: 1.2-cuda10.0-cudnn7-runtime, 1.1.0-…-cudnn7.5-…
_PYTORCH_TAG = re.compile(r"^(\d+\.\d+(?:\.\d+)?)-cuda(\d+\.\d+)-cudnn(\d+(?:\.\d+)?)-(?:runtime|devel)$")
_TF_TAG = re.compile(r"^(\d+\.\d+\.\d+)(-gpu)?(?:-jupyter)?$")
_CUDA_TAG = re.compile(r"^(\d+\.\d+)(?:\.\d+)?-(?:cudnn(\d+)?-)?(base|runtime|devel)-")
_NGC_TAG = re.compile(r"^(\d{2}\.\d{2})(?:$|-)")


def describe_image(reference: str, at: str) -> BaseImage:
    """What the image ``reference`` (as written after FROM) fixes about the stack."""
    ref = reference.split("@", 1)[0]
    name, _, tag = ref.rpartition(":") if ":" in ref.rsplit("/", 1)[-1] else (ref, "", "latest")
    repo = name.lower().removeprefix("docker.io/").removeprefix("library/")
    if repo == "python":
        match = _PYTHON_TAG.match(tag)
        if match:
            return BaseImage(python=match.group(1))
        return BaseImage(note=f"{at}: python:{tag} names no Python version; the Python is not audited")
    if repo == "pytorch/pytorch":
        match = _PYTORCH_TAG.match(tag)
        if not match:
            return BaseImage(
                framework="torch",
                note=f"{at}: pytorch/pytorch:{tag} names no torch version; torch is not audited",
            )
        build = BuildInfo(
            framework="torch",
            distribution="torch",
            version=match.group(1),
            cuda=match.group(2),
            cudnn=match.group(3),
            is_cuda_build=True,
            source=f"FROM {reference}",
        )
        return BaseImage(framework="torch", pins=(Pin("torch", match.group(1), at, build=build),))
    if repo == "tensorflow/tensorflow":
        match = _TF_TAG.match(tag)
        if not match:
            return BaseImage(
                framework="tensorflow",
                note=f"{at}: tensorflow/tensorflow:{tag} names "
                "no TensorFlow version; TensorFlow is not audited",
            )
        return BaseImage(framework="tensorflow", pins=(Pin("tensorflow", match.group(1), at),))
    if repo == "nvidia/cuda":
        match = _CUDA_TAG.match(tag)
        if match:
            return BaseImage(system_cuda=match.group(1), system_cudnn=match.group(2))
    if repo.startswith("nvcr.io/nvidia/"):
        container = repo.removeprefix("nvcr.io/nvidia/")
        match = _NGC_TAG.match(tag)
        if match:
            framework = {"pytorch": "torch", "tensorflow": "tensorflow"}.get(container)
            return BaseImage(ngc=(container, match.group(1)), framework=framework)
    return BaseImage()
