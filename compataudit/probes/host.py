"""The interpreter and the operating system."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

from compataudit.model import PlatformInfo, PythonInfo

# Variables that change how a framework behaves; recorded when set.
RELEVANT_ENV_VARS = (
    "CUDA_VISIBLE_DEVICES",
    "CUDA_DEVICE_ORDER",
    "NVIDIA_VISIBLE_DEVICES",
    "CUDA_HOME",
    "CUDA_PATH",
    "LD_LIBRARY_PATH",
    "KERAS_BACKEND",
    "TF_USE_LEGACY_KERAS",
    "TF_ENABLE_ONEDNN_OPTS",
    "PYTORCH_ENABLE_MPS_FALLBACK",
    "PYTORCH_CUDA_ALLOC_CONF",
    "CUDA_MODULE_LOADING",
    "JAX_PLATFORMS",
    "JAX_SKIP_CUDA_CONSTRAINTS_CHECK",
    "XLA_PYTHON_CLIENT_PREALLOCATE",
    # set by NVIDIA's NGC containers: which release, CUDA and cuDNN the image ships
    "NVIDIA_PYTORCH_VERSION",
    "NVIDIA_TENSORFLOW_VERSION",
    "CUDA_VERSION",
    "CUDNN_VERSION",
)


def probe_python() -> PythonInfo:
    info = sys.version_info
    return PythonInfo(
        version=f"{info.major}.{info.minor}.{info.micro}",
        implementation=platform.python_implementation(),
        executable=sys.executable or None,
        prefix=sys.prefix,
        env_kind=_env_kind(),
        installer=_installer(),
        bits=64 if sys.maxsize > 2**32 else 32,
    )


def _installer() -> str | None:
    from compataudit.probes.installer import detect_installer

    return detect_installer(sys.prefix)


def _env_kind() -> str:
    if (Path(sys.prefix) / "conda-meta").is_dir():
        return "conda"
    if sys.prefix != getattr(sys, "base_prefix", sys.prefix):
        return "venv"
    return "system"


def probe_platform() -> PlatformInfo:
    return PlatformInfo(
        system=platform.system() or "unknown",
        machine=platform.machine() or "unknown",
        release=platform.release() or None,
        os_name=_os_name(),
        libc=_libc(),
        cpu_count=os.cpu_count(),
        hostname=platform.node() or None,
    )


def _os_name() -> str | None:
    if sys.platform == "darwin":
        version = platform.mac_ver()[0]
        return f"macOS {version}" if version else "macOS"
    if sys.platform == "win32":
        return f"Windows {platform.version()}"
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"') or None
    return None


def _libc() -> str | None:
    # confstr is instant; platform.libc_ver() would scan the interpreter binary.
    try:
        value = os.confstr("CS_GNU_LIBC_VERSION")
    except (AttributeError, ValueError, OSError):
        value = None
    if value:
        return value
    name, version = platform.libc_ver()
    return f"{name} {version}".strip() or None


def probe_env_vars() -> tuple[tuple[str, str], ...]:
    return tuple((k, os.environ[k]) for k in RELEVANT_ENV_VARS if k in os.environ)
