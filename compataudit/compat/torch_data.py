"""The dataclasses of ``matrices/torch.toml`` and their validated loading.

:func:`torch_matrix` validates the file once per :class:`Matrices` (cached in
``matrices.views["torch"]``); a malformed field raises :class:`MatrixError`
naming the file and row. Queries live in :mod:`compataudit.compat.torch`.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from compataudit.errors import MatrixError
from compataudit.matrices import Matrices
from compataudit.versions import cuda_variant, parse_version

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


class _Row:
    """Typed access to one ``[[table]]`` row, raising MatrixError that names it."""

    def __init__(self, where: str, data: dict[str, Any]) -> None:
        self.where, self.data = where, data

    def fail(self, key: str, what: str) -> MatrixError:
        return MatrixError(f"{self.where}: {key!r} must be {what}")

    def text(self, key: str, pattern: re.Pattern[str] | None = None, *,
             required: bool = True, what: str = "a string") -> str | None:
        value = self.data.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or (pattern is not None and not pattern.match(value)):
            raise self.fail(key, what)
        return value

    def spec(self, key: str, *, required: bool = True) -> str | None:
        value = self.text(key, required=required, what="a version specifier")
        if value is not None:
            try:
                SpecifierSet(value)
            except InvalidSpecifier:
                raise self.fail(key, "a version specifier such as '>=3.10,<3.15'") from None
        return value

    def texts(self, key: str, pattern: re.Pattern[str], what: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(
            isinstance(v, str) and pattern.match(v) for v in value
        ):
            raise self.fail(key, what)
        return tuple(value)

    def pairs(self) -> tuple[tuple[str, str], ...]:
        value = self.data.get("pairs", [])
        ok = isinstance(value, list) and all(
            isinstance(p, list) and len(p) == 2 and all(parse_version(x) for x in p)
            for p in value
        )
        if not ok:
            raise self.fail("pairs", 'a list of ["X.Y.Z", "X.Y.Z"] version pairs')
        return tuple((p[0], p[1]) for p in value)

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, "true or false")
        return value

    def sources(self) -> tuple[str, ...]:
        return tuple(self.data.get("sources", [self.data.get("source")]))


_VERSION_RE = re.compile(r"^\d+(\.\d+)*$")
_ARCHS = 'a list of "X.Y" strings'


def torch_matrix(matrices: Matrices) -> TorchMatrix:
    """The validated torch views of ``matrices``, built once and cached."""
    cached = matrices.views.get("torch")
    if isinstance(cached, TorchMatrix):
        return cached
    path = str(matrices.directory / "torch.toml")

    def rows(table: str) -> list[_Row]:
        return [_Row(f"{path}: [[{table}]] row {i}", r)
                for i, r in enumerate(matrices.rows("torch", table), start=1)]

    releases = [_release(r) for r in rows("release")]
    view = TorchMatrix(
        releases=tuple(sorted(releases, key=lambda r: r.key)),
        variants=tuple(_variant(r) for r in rows("variant")),
        torchvision=tuple(
            VisionRow(str(r.text("torch", _MINOR_RE, what='a minor such as "2.5"')),
                      str(r.text("torchvision", _MINOR_RE, what='a minor such as "0.20"')),
                      r.spec("python", required=False), r.pairs(), r.sources())
            for r in rows("torchvision")),
        torchaudio=tuple(
            AudioRow(str(r.text("torchaudio", _MINOR_RE, what='a minor such as "2.5"')),
                     str(r.spec("torch")), r.spec("python", required=False), r.pairs(),
                     r.flag("stable_abi", False), r.sources())
            for r in rows("torchaudio")),
        pypi_platforms=tuple(
            (str(r.text("system")), str(r.text("variant", _VARIANT_RE, what="a variant")),
             r.sources()) for r in rows("pypi_platform")),
    )
    matrices.views["torch"] = view
    return view


def _release(r: _Row) -> TorchRelease:
    variants = r.texts("variants", _VARIANT_RE, 'a list of variants such as "cu124"')
    default = r.text("default_variant", _VARIANT_RE, required=False, what="a variant")
    if default is not None and default not in variants:
        raise r.fail("default_variant", "one of the row's 'variants'")
    numpy2 = r.data.get("numpy2")
    if not isinstance(numpy2, bool):
        raise r.fail("numpy2", "true or false")
    return TorchRelease(
        minor=str(r.text("torch", _MINOR_RE, what='a minor such as "2.5"')),
        python=str(r.spec("python")),
        python_experimental=r.texts("python_experimental", _MINOR_RE,
                                    'a list of Python minors such as "3.13"'),
        variants=variants, default_variant=default,
        rocm=r.texts("rocm", _VERSION_RE, "a list of version strings"),
        numpy2=numpy2, sources=r.sources())


def _variant(r: _Row) -> TorchVariant:
    variant = str(r.text("variant", _VARIANT_RE, what='a variant such as "cu124"'))
    cuda = r.text("cuda", _VERSION_RE, required=False, what='a version such as "12.6.3"')
    if cuda is not None and cuda_variant(cuda) != variant:
        raise r.fail("cuda", f"a CUDA version of the {variant} variant")
    return TorchVariant(
        torch=r.texts("torch", _MINOR_RE, 'a list of torch minors such as "2.5"'),
        variant=variant, cuda=cuda,
        cudnn=r.text("cudnn", _VERSION_RE, required=False, what="a version string"),
        archs=r.texts("archs", _MINOR_RE, _ARCHS), ptx=r.texts("ptx", _MINOR_RE, _ARCHS),
        sources=r.sources())
