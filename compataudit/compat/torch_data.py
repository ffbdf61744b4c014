"""The dataclasses of ``matrices/torch.toml`` and their validated loading.

:func:`torch_matrix` validates the file once per :class:`Matrices` (cached in
``matrices.views["torch"]``); a malformed field raises :class:`MatrixError`
naming the file and row. Queries live in :mod:`compataudit.compat.torch`.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from compataudit.compat._rows import RowReader, read_rows
from compataudit.compat.matrices import Matrices
from compataudit.versions import cuda_variant

_MINOR_RE = re.compile(r"^\d+\.\d+$")
_VARIANT_RE = re.compile(r"^(cpu|cu\d{3}|rocm\d+(\.\d+)*|xpu)$")


class TorchRelease(NamedTuple):
    minor: str  # "2.5"
    python: str  # specifier of the CPython versions with wheels
    python_experimental: tuple[str, ...]  # "3.13": wheels exist, support is experimental
    variants: tuple[str, ...]  # "cpu", "cu124", ...
    default_variant: str | None  # plain PyPI on Linux x86_64; None: unknown
    rocm: tuple[str, ...]
    numpy2: bool  # works with numpy >= 2
    sources: tuple[str, ...]

    @property
    def key(self) -> tuple[int, int]:
        major, minor = self.minor.split(".")
        return int(major), int(minor)


class TorchVariant(NamedTuple):
    torch: tuple[str, ...]  # the torch minors this row covers
    variant: str  # "cu124"
    cuda: str | None  # full CUDA version when the source gives it ("12.6.3")
    cudnn: str | None
    archs: tuple[str, ...]  # "8.0"; empty: unknown
    ptx: tuple[str, ...]
    sources: tuple[str, ...]

    def arch_names(self) -> tuple[str, ...]:
        """``("sm_80", ..., "compute_120")`` as torch.cuda.get_arch_list() writes them."""
        sass = tuple("sm_" + a.replace(".", "") for a in self.archs)
        return sass + tuple("compute_" + a.replace(".", "") for a in self.ptx)


class VisionRow(NamedTuple):
    torch: str  # torch minor
    torchvision: str  # torchvision minor
    python: str | None
    pairs: tuple[tuple[str, str], ...]  # exact (torch, torchvision) releases
    sources: tuple[str, ...]


class AudioRow(NamedTuple):
    torchaudio: str  # torchaudio minor
    torch: str  # specifier of the torch versions it works with
    python: str | None
    pairs: tuple[tuple[str, str], ...]  # exact (torch, torchaudio) releases
    stable_abi: bool  # one wheel serves several torch minors
    sources: tuple[str, ...]


class TorchMatrix(NamedTuple):
    releases: tuple[TorchRelease, ...]  # oldest first
    variants: tuple[TorchVariant, ...]
    torchvision: tuple[VisionRow, ...]
    torchaudio: tuple[AudioRow, ...]
    pypi_platforms: tuple[tuple[str, str, tuple[str, ...]], ...]  # (system, variant, sources)


class CompatibleSet(NamedTuple):
    """A torch release with its extensions and the build variant that fits."""

    torch: str
    variant: str
    cuda: str | None
    torchvision: str | None
    torchaudio: str | None
    command: str
    sources: tuple[str, ...]


# --------------------------------------------------------------------------- loading


_VERSION_RE = re.compile(r"^\d+(\.\d+)*$")
_ARCHS = 'a list of "X.Y" strings'


def torch_matrix(matrices: Matrices) -> TorchMatrix:
    """The validated torch views of ``matrices``, built once and cached."""
    cached = matrices.views.get("torch")
    if isinstance(cached, TorchMatrix):
        return cached

    def rows(table: str) -> list[RowReader]:
        return read_rows(matrices, "torch", table)

    releases = [_release(r) for r in rows("release")]
    view = TorchMatrix(
        releases=tuple(sorted(releases, key=lambda r: r.key)),
        variants=tuple(_variant(r) for r in rows("variant")),
        torchvision=tuple(
            VisionRow(
                r.required("torch", _MINOR_RE, 'a minor such as "2.5"'),
                r.required("torchvision", _MINOR_RE, 'a minor such as "0.20"'),
                r.spec("python"),
                r.pairs(),
                r.sources(),
            )
            for r in rows("torchvision")
        ),
        torchaudio=tuple(
            AudioRow(
                r.required("torchaudio", _MINOR_RE, 'a minor such as "2.5"'),
                str(r.spec("torch", required=True)),
                r.spec("python"),
                r.pairs(),
                r.flag("stable_abi"),
                r.sources(),
            )
            for r in rows("torchaudio")
        ),
        pypi_platforms=tuple(
            (r.required("system"), r.required("variant", _VARIANT_RE, "a variant"), r.sources())
            for r in rows("pypi_platform")
        ),
    )
    matrices.views["torch"] = view
    return view


def _release(r: RowReader) -> TorchRelease:
    variants = r.texts("variants", _VARIANT_RE, 'a list of variants such as "cu124"')
    default = r.text("default_variant", _VARIANT_RE, what="a variant")
    if default is not None and default not in variants:
        raise r.fail("default_variant", "one of the row's 'variants'")
    numpy2 = r.flag("numpy2", default=None)
    return TorchRelease(
        minor=r.required("torch", _MINOR_RE, 'a minor such as "2.5"'),
        python=str(r.spec("python", required=True)),
        python_experimental=r.texts(
            "python_experimental", _MINOR_RE, 'a list of Python minors such as "3.13"'
        ),
        variants=variants,
        default_variant=default,
        rocm=r.texts("rocm", _VERSION_RE, "a list of version strings"),
        numpy2=numpy2,
        sources=r.sources(),
    )


def _variant(r: RowReader) -> TorchVariant:
    variant = r.required("variant", _VARIANT_RE, 'a variant such as "cu124"')
    cuda = r.text("cuda", _VERSION_RE, what='a version such as "12.6.3"')
    if cuda is not None and cuda_variant(cuda) != variant:
        raise r.fail("cuda", f"a CUDA version of the {variant} variant")
    return TorchVariant(
        torch=r.texts("torch", _MINOR_RE, 'a list of torch minors such as "2.5"'),
        variant=variant,
        cuda=cuda,
        cudnn=r.text("cudnn", _VERSION_RE, what="a version string"),
        archs=r.texts("archs", _MINOR_RE, _ARCHS),
        ptx=r.texts("ptx", _MINOR_RE, _ARCHS),
        sources=r.sources(),
    )
