"""Compiled extensions (``matrices/extensions.toml``): who provides the libraries they link."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from compataudit.compat._rows import read_rows
from compataudit.compat.matrices import Matrices
from compataudit.versions import parse_version

_MAJOR = re.compile(r"^\d+$")


@dataclass(frozen=True)
class LibraryProvider:
    soname: str  # a glob: "libcublas*.so.12"
    cuda: str | None  # the CUDA major this row is for
    pip: str  # "nvidia-cuda-runtime-cu12"
    conda: str | None  # "cuda-cudart cuda-version=12"
    sources: tuple[str, ...]

    def matches(self, soname: str) -> bool:
        return fnmatch.fnmatchcase(soname, self.soname)


@dataclass(frozen=True)
class ExtensionBuild:
    """One release of an extension and the torch its wheels pin exactly (``torch==2.6.0``)."""

    distribution: str
    version: str
    torch: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class ExtensionsView:
    libraries: tuple[LibraryProvider, ...]
    builds: tuple[ExtensionBuild, ...] = ()

    def build_for(self, distribution: str, torch_version: str) -> ExtensionBuild | None:
        """The newest release of ``distribution`` whose wheels pin exactly ``torch_version``."""
        wanted = parse_version(torch_version)
        found = [
            (version, b)
            for b in self.builds
            if b.distribution == distribution
            and parse_version(b.torch) == wanted
            and (version := parse_version(b.version)) is not None
        ]
        return max(found, key=lambda pair: pair[0])[1] if found else None

    def provider(self, soname: str, cuda_major: str | None) -> LibraryProvider | None:
        """The row for ``soname``: the one of ``cuda_major`` when several CUDA majors ship it."""
        rows = [row for row in self.libraries if row.matches(soname)]
        return next((row for row in rows if row.cuda == cuda_major), rows[0] if rows else None)


def extensions_view(matrices: Matrices) -> ExtensionsView:
    """The typed view of ``extensions.toml`` (cached on ``matrices``)."""
    cached = matrices.views.get("extensions")
    if isinstance(cached, ExtensionsView):
        return cached
    if "extensions" not in matrices.names():  # a --matrices DIR from before this file existed
        view = ExtensionsView((), ())
    else:
        view = ExtensionsView(
            tuple(
                LibraryProvider(
                    soname=r.required("soname"),
                    cuda=r.text("cuda", _MAJOR, what="a CUDA major such as 12"),
                    pip=r.required("pip"),
                    conda=r.text("conda"),
                    sources=r.sources(),
                )
                for r in read_rows(matrices, "extensions", "library")
            ),
            tuple(
                ExtensionBuild(
                    distribution=r.required("distribution"),
                    version=r.version("version", required=True) or "",
                    torch=r.version("torch", required=True) or "",
                    sources=r.sources(),
                )
                for r in read_rows(matrices, "extensions", "build")
            ),
        )
    matrices.views["extensions"] = view
    return view
