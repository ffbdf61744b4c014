"""NVIDIA NGC framework builds (``matrices/ngc.toml``).

``2.4.0a0+3bcc3cddb5.nv24.07`` is NVIDIA's build of upstream torch 2.4 from the
24.07 container. The version itself says the upstream release (so the torch
family checks can judge torchvision against 2.4) and the container release;
the table adds CUDA, cuDNN, Python and the driver rule where NVIDIA's release
notes were read. Inside a container, ``NVIDIA_PYTORCH_VERSION`` /
``NVIDIA_TENSORFLOW_VERSION`` name the release when the version has no label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from compataudit.compat._rows import read_rows
from compataudit.compat.matrices import Matrices
from compataudit.model import Environment
from compataudit.versions import driver_tuple, parse_version

_NV_LABEL = re.compile(r"(?:^|\.)nv(\d{2})\.(\d{1,2})(?:\.|$)")
_RELEASE = re.compile(r"^\d{2}\.\d{2}$")
# container -> the variable the container sets to its release, e.g. NVIDIA_PYTORCH_VERSION=24.07
RELEASE_VARIABLES = {"pytorch": "NVIDIA_PYTORCH_VERSION", "tensorflow": "NVIDIA_TENSORFLOW_VERSION"}


@dataclass(frozen=True)
class NgcRelease:
    container: str  # "pytorch" | "tensorflow" | ...
    release: str  # "24.07"
    framework: str | None  # the framework version it ships
    cuda: str | None
    cudnn: str | None
    python: str | None
    min_driver: str | None  # a build ("440.33.01") or a branch ("450")
    datacenter_drivers: tuple[str, ...]  # older branches data-center GPUs may keep
    sources: tuple[str, ...]


@dataclass(frozen=True)
class NgcView:
    releases: tuple[NgcRelease, ...]
    forward_compat_sources: tuple[str, ...]

    def release(self, container: str, release: str) -> NgcRelease | None:
        return next((r for r in self.releases if (r.container, r.release) == (container, release)), None)


def ngc_view(matrices: Matrices) -> NgcView:
    """The typed view of ``ngc.toml`` (cached on ``matrices``)."""
    cached = matrices.views.get("ngc")
    if isinstance(cached, NgcView):
        return cached
    if "ngc" not in matrices.names():  # a --matrices DIR from before this file existed
        view = NgcView((), ())
    else:
        releases = tuple(
            NgcRelease(
                container=r.required("container"),
                release=r.required("release", _RELEASE, "a YY.MM release"),
                framework=r.version("framework"),
                cuda=r.version("cuda"),
                cudnn=r.version("cudnn"),
                python=r.text("python"),
                min_driver=r.text("min_driver"),
                datacenter_drivers=r.texts("datacenter_drivers"),
                sources=r.sources(),
            )
            for r in read_rows(matrices, "ngc", "container")
        )
        forward = tuple(s for r in read_rows(matrices, "ngc", "forward_compatibility") for s in r.sources())
        view = NgcView(releases, forward)
    matrices.views["ngc"] = view
    return view


def ngc_release_of(version: str | None) -> str | None:
    """``2.4.0a0+3bcc3cddb5.nv24.07`` -> ``24.07``; None for any other version."""
    parsed = parse_version(version)
    if parsed is None or parsed.local is None:
        return None
    match = _NV_LABEL.search(parsed.local)
    return f"{match.group(1)}.{int(match.group(2)):02d}" if match else None


def upstream_version(version: str) -> str | None:
    """The upstream release an NGC build is based on: ``2.4.0a0+…nv24.07`` -> ``2.4.0``."""
    parsed = parse_version(version)
    if parsed is None or ngc_release_of(version) is None:
        return None
    return ".".join(str(part) for part in parsed.release)


def container_release(env: Environment, container: str, version: str) -> str | None:
    """The NGC release of ``version``: its ``.nvYY.MM`` label, else the container's variable."""
    from_label = ngc_release_of(version)
    if from_label is not None:
        return from_label
    value = env.env_var(RELEASE_VARIABLES.get(container, ""))
    return value.strip() if value and _RELEASE.match(value.strip()) else None


def meets_min_driver(driver: str, minimum: str) -> bool | None:
    """Whether ``driver`` meets a release's minimum (a branch such as ``450`` compares the branch)."""
    have, need = driver_tuple(driver), driver_tuple(minimum)
    if have is None or need is None:
        return None
    return have[: len(need)] >= need if "." not in minimum else have >= need
