"""Typed views of ``matrices/torch.toml`` and the questions asked of them.

:func:`torch_matrix` validates the file once per :class:`Matrices` (cached in
``matrices.views["torch"]``); a malformed field raises :class:`MatrixError`
naming the file and row. The queries map any torch version (``2.5.1+cu124``,
nightlies, vendor builds) to its minor release; what the data does not cover
gives None, never a guess. :func:`resolve_build` / :func:`suggest_build`
implement the protocol of :mod:`compataudit.compat.builds`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from compataudit.compat.builds import ResolvedBuild
from compataudit.compat.cuda import arch_supported
from compataudit.compat.matrices import Matrices
from compataudit.compat.torch_data import (
    AudioRow,
    CompatibleSet,
    TorchMatrix,
    TorchRelease,
    TorchVariant,
    VisionRow,
    torch_matrix,
)
from compataudit.model import Environment, ProbeStatus
from compataudit.versions import (
    cuda_variant,
    local_variant,
    major_minor,
    minor_of,
    parse_version,
    specifier,
    variant_cuda,
)

__all__ = [
    "AudioRow",
    "CompatibleSet",
    "TorchMatrix",
    "TorchRelease",
    "TorchVariant",
    "VisionRow",
    "compatible_sets",
    "default_variant",
    "is_ngc_build",
    "release_for",
    "resolve_build",
    "suggest_build",
    "torch_matrix",
    "variant_info",
]

INDEX_URL = "https://download.pytorch.org/whl/"
_MINOR_RE = re.compile(r"^\d+\.\d+$")
_VARIANT_RE = re.compile(r"^(cpu|cu\d{3}|rocm\d+(\.\d+)*|xpu)$")


# --------------------------------------------------------------------------- queries


def is_unofficial(version: str | None) -> bool:
    """True for nightlies, pre-releases and source/vendor builds (``+git…``, ``+nv24.5``)."""
    v = parse_version(version)
    if v is None:
        return False
    vendor_label = v.local is not None and local_variant(v) is None
    return v.is_prerelease or v.is_devrelease or vendor_label


def release_for(matrices: Matrices, version: str | None) -> TorchRelease | None:
    """The release row of ``version``'s minor (``2.5.1+cu124`` -> 2.5), or None."""
    minor = minor_of(version)
    return next((r for r in torch_matrix(matrices).releases if r.minor == minor), None)


def newest_release(matrices: Matrices) -> TorchRelease | None:
    releases = torch_matrix(matrices).releases
    return releases[-1] if releases else None


def python_range(matrices: Matrices, version: str | None) -> str | None:
    release = release_for(matrices, version)
    return release.python if release else None


def default_variant(
    matrices: Matrices, version: str | None, *, system: str = "Linux", machine: str = "x86_64"
) -> str | None:
    """The variant plain ``pip install torch==version`` gives on this platform, if known."""
    release = release_for(matrices, version)
    if release is None:
        return None
    for plat_system, variant, _ in torch_matrix(matrices).pypi_platforms:
        if plat_system == system and variant in release.variants:
            return variant
    if system == "Linux" and machine in ("x86_64", "AMD64"):
        return release.default_variant
    return None


def variant_info(matrices: Matrices, version: str | None, variant: str) -> TorchVariant | None:
    """The [[variant]] row of (release of ``version``, ``variant``), if any."""
    minor = minor_of(version)
    return next(
        (v for v in torch_matrix(matrices).variants if v.variant == variant and minor in v.torch), None
    )


def torchvision_for_torch(matrices: Matrices, torch_version: str | None) -> VisionRow | None:
    minor = minor_of(torch_version)
    return next((r for r in torch_matrix(matrices).torchvision if r.torch == minor), None)


def torch_for_torchvision(
    matrices: Matrices, tv_version: str | None, torch_version: str | None = None
) -> VisionRow | None:
    """The row of ``tv_version``'s minor; where one minor serves several torch minors
    (0.29: 2.14 and 2.15), the row of ``torch_version``'s minor if there is one."""
    minor, torch_minor = minor_of(tv_version), minor_of(torch_version)
    rows = [r for r in torch_matrix(matrices).torchvision if r.torchvision == minor]
    return next((r for r in rows if r.torch == torch_minor), rows[0] if rows else None)


def audio_row(matrices: Matrices, ta_version: str | None) -> AudioRow | None:
    minor = minor_of(ta_version)
    return next((r for r in torch_matrix(matrices).torchaudio if r.torchaudio == minor), None)


def torchaudio_for_torch(matrices: Matrices, torch_version: str | None) -> AudioRow | None:
    """The newest torchaudio row that works with ``torch_version``."""
    v = parse_version(torch_version)
    if v is None:
        return None
    found = [
        r
        for r in torch_matrix(matrices).torchaudio
        if specifier(r.torch).contains(v.public, prereleases=True)
    ]
    return found[-1] if found else None


def exact_pair(pairs: Iterable[tuple[str, str]], torch_version: str) -> str | None:
    """The exact partner of ``torch_version`` in ``pairs`` (local labels ignored)."""
    v = parse_version(torch_version)
    if v is None:
        return None
    return next((b for a, b in pairs if parse_version(a) == parse_version(v.public)), None)


def cc_coverage(variant: TorchVariant, cc: str) -> str | None:
    """How ``variant`` runs on compute capability ``cc``: "sass", "ptx" or None (not at all).

    The rule itself lives in :func:`compataudit.compat.cuda.arch_supported`.
    """
    served = arch_supported(cc, variant.arch_names())
    return None if served == "none" else served


def _pin(name: str, version: str | None, local: str | None = None) -> str | None:
    """``torch==2.5.1`` for a release, ``"torch==2.5.*"`` for a minor; ``local`` adds the
    variant's label (``torch==2.5.1+cu124``)."""
    if version is None:
        return None
    if _MINOR_RE.match(version):
        return f'"{name}=={version}.*"'
    v = parse_version(version)
    if v is None:
        return None
    return f"{name}=={v.public}+{local}" if local else f"{name}=={v.public}"


def install_command(
    matrices: Matrices,
    torch: str,
    variant: str | None,
    *,
    torchvision: str | None = None,
    torchaudio: str | None = None,
    system: str = "Linux",
    machine: str = "x86_64",
    labelled: frozenset[str] = frozenset(),
) -> str:
    """One pip command for the set; adds the variant's index unless PyPI ships it by default.

    ``labelled`` names the distributions whose pin must carry the variant's local label:
    those installed at the same version as another build (``2.13.0+cpu``), which a bare
    ``==2.13.0`` leaves in place ("Requirement already satisfied"). A labelled pin always
    names the variant's index: PyPI's wheels carry no label.
    """
    local = variant if variant and labelled else None
    pins = [
        p
        for p in (
            _pin("torch", torch, local if "torch" in labelled else None),
            _pin("torchvision", torchvision, local if "torchvision" in labelled else None),
            _pin("torchaudio", torchaudio, local if "torchaudio" in labelled else None),
        )
        if p
    ]
    command = "pip install " + " ".join(pins)
    if variant and (local or variant != default_variant(matrices, torch, system=system, machine=machine)):
        command += f" --index-url {INDEX_URL}{variant}"
    return command


def _python_ok(spec: str | None, python: str | None) -> bool:
    v = parse_version(python)
    return spec is None or v is None or specifier(spec).contains(v, prereleases=True)


def _best_variant(
    matrices: Matrices, release: TorchRelease, max_cuda: str | None, gpu_ccs: tuple[str, ...]
) -> tuple[str, str | None] | None:
    """The newest CUDA variant of ``release`` within ``max_cuda`` covering every GPU."""
    if max_cuda is None:
        return ("cpu", None) if "cpu" in release.variants else None
    limit = major_minor(max_cuda)
    cudas = [(major_minor(variant_cuda(v)), v) for v in release.variants if variant_cuda(v)]
    for cuda, variant in sorted(((c, v) for c, v in cudas if c is not None), reverse=True):
        if limit is None or cuda > limit:
            continue
        info = variant_info(matrices, release.minor, variant)
        if gpu_ccs and (info is None or not info.archs):
            continue  # the architectures are unknown: cannot promise the GPU runs
        if info is not None and not all(cc_coverage(info, cc) for cc in gpu_ccs):
            continue
        return variant, variant_cuda(variant)
    return None


def compatible_sets(
    matrices: Matrices,
    *,
    python: str | None = None,
    max_cuda: str | None = None,
    gpu_ccs: tuple[str, ...] = (),
    system: str = "Linux",
    machine: str = "x86_64",
) -> list[CompatibleSet]:
    """torch releases (newest first) that install and run here, each with its extensions.

    ``max_cuda`` None means no NVIDIA driver: CPU builds. A release qualifies when
    ``python`` is inside its (non-experimental) range and one of its variants has
    CUDA <= ``max_cuda`` and architectures covering every GPU in ``gpu_ccs``.
    """
    found = []
    for release in reversed(torch_matrix(matrices).releases):
        if not _python_ok(release.python, python):
            continue
        best = _best_variant(matrices, release, max_cuda, gpu_ccs)
        if best is None:
            continue
        vision = torchvision_for_torch(matrices, release.minor)
        tv = vision.torchvision if vision and _python_ok(vision.python, python) else None
        audio = torchaudio_for_torch(matrices, release.minor + ".0")
        ta = audio.torchaudio if audio and _python_ok(audio.python, python) else None
        command = install_command(
            matrices, release.minor, best[0], torchvision=tv, torchaudio=ta, system=system, machine=machine
        )
        sources = release.sources + (vision.sources if vision else ())
        found.append(
            CompatibleSet(release.minor, best[0], best[1], tv, ta, command, tuple(dict.fromkeys(sources)))
        )
    return found


# --------------------------------------------------------------------------- builds protocol


def probed_variant(env: Environment) -> str | None:
    """The variant torch's own ``version.py`` reports, when it was read."""
    build = env.build("torch")
    if build is None or build.source in (None, "matrix", "pin") or build.status is not ProbeStatus.OK:
        return None
    if build.cuda:
        return cuda_variant(build.cuda)
    if build.hip:
        hip = major_minor(build.hip)
        return f"rocm{hip[0]}.{hip[1]}" if hip else None
    return "cpu"


def resolve_build(env: Environment, matrices: Matrices) -> ResolvedBuild | None:
    """torch's build: probed ``version.py``, else the pin's ``+cuXYZ``, else PyPI's default."""
    pkg = env.package("torch")
    if pkg is None or parse_version(pkg.version) is None:
        return None
    plat = env.platform
    build = env.build("torch")
    if is_ngc_build(env, pkg.version):
        return _ngc_build(env, matrices, pkg.version)
    variant, source = probed_variant(env), "version.py"
    if variant is None:
        variant, source = local_variant(pkg.version), "pin"
    if variant is None and pkg.channel is not None:
        return None  # conda's pytorch: PyPI's default variant says nothing about it
    if variant is None:
        variant = default_variant(matrices, pkg.version, system=plat.system, machine=plat.machine)
        source = "matrix"
    if variant is None:
        return None  # which build this is cannot be told: stay silent rather than guess
    info = variant_info(matrices, pkg.version, variant)
    cuda = build.cuda if source == "version.py" and build and build.cuda else variant_cuda(variant)
    archs = build.archs if source == "version.py" and build and build.archs else ()
    return ResolvedBuild(
        framework="torch",
        components=("torch",),
        version=pkg.version,
        variant=variant,
        cuda=cuda,
        archs=archs or (info.arch_names() if info else ()),
        cudnn=(build.cudnn if build and build.cudnn else None) or (info.cudnn if info else None),
        source=source,
    )


def is_ngc_build(env: Environment, version: str) -> bool:
    """NVIDIA's torch from an NGC container: a ``.nvYY.MM`` label, or a source build inside one."""
    parsed = parse_version(version)
    if parsed is None or parsed.local is None or local_variant(version) is not None:
        return False
    from compataudit.compat.ngc import container_release  # only for vendor-labelled versions

    return container_release(env, "pytorch", version) is not None


def _ngc_build(env: Environment, matrices: Matrices, version: str) -> ResolvedBuild | None:
    """An NGC torch: the build facts read from it, else its release's row in ngc.toml.

    PyPI's variant tables never describe it (other CUDA, other architectures), so without
    either source the build stays unknown.
    """
    from compataudit.compat.ngc import container_release, ngc_view

    release = container_release(env, "pytorch", version)
    row = ngc_view(matrices).release("pytorch", release) if release else None
    build = env.build("torch")
    facts = build if build is not None and build.status is ProbeStatus.OK and build.source else None
    cuda = (facts.cuda if facts else None) or (row.cuda if row else None)
    if cuda is None:
        return None
    mm = major_minor(cuda)
    return ResolvedBuild(
        framework="torch",
        components=("torch",),
        version=version,
        variant=cuda_variant(cuda),
        cuda=f"{mm[0]}.{mm[1]}" if mm else None,
        archs=facts.archs if facts else (),
        cudnn=(facts.cudnn if facts else None) or (row.cudnn if row else None),
        source=f"ngc {release}" if release else "ngc",
    )


def suggest_build(
    env: Environment,
    matrices: Matrices,
    build: ResolvedBuild,
    *,
    max_cuda: str | None,
    gpu_ccs: tuple[str, ...],
) -> str | None:
    """Install command of the build of this release (else the nearest) that fits the machine."""
    if build.source.startswith("ngc"):
        return None  # an NGC container's torch is replaced by another image, not by pip
    releases = list(torch_matrix(matrices).releases)
    current = release_for(matrices, build.version)
    if current is None:
        ordered = releases[::-1]  # unknown release: newest first
    else:
        here = releases.index(current)
        # nearest first; on a tie the newer release wins
        ordered = sorted(releases, key=lambda r: (abs(releases.index(r) - here), -r.key[1]))
    for release in ordered:
        if not _python_ok(release.python, env.python.version):
            continue
        best = _best_variant(matrices, release, max_cuda, gpu_ccs)
        if best is None:
            continue
        parsed = parse_version(build.version)
        same = release is current and parsed is not None
        version = parsed.public if same and parsed is not None else release.minor
        return family_command(env, matrices, version, best[0])
    return None


def family_command(
    env: Environment,
    matrices: Matrices,
    torch_version: str,
    variant: str | None,
    *,
    extensions_only: bool = False,
) -> str:
    """Install ``torch_version`` with the installed torchvision / torchaudio partners.

    ``extensions_only`` reinstalls just the extensions from ``variant``'s index
    (``--force-reinstall --no-deps``: a wrong-variant wheel of the right version
    would otherwise count as already installed).
    """
    m = matrices
    pins = {}
    # A bare minor ("2.7") means "any 2.7.x": an exact pair would wrongly pick 2.7.0's.
    exact = _MINOR_RE.match(torch_version) is None
    if env.package("torchvision") is not None:
        row = torchvision_for_torch(m, torch_version)
        if row is not None:
            pins["torchvision"] = (exact and exact_pair(row.pairs, torch_version)) or row.torchvision
    if env.package("torchaudio") is not None:
        full = torch_version + ".0" if _MINOR_RE.match(torch_version) else torch_version
        audio = torchaudio_for_torch(m, full)
        if audio is not None:
            pins["torchaudio"] = (exact and exact_pair(audio.pairs, torch_version)) or audio.torchaudio
    if extensions_only:
        names = " ".join(str(_pin(name, version)) for name, version in pins.items())
        index = f" --index-url {INDEX_URL}{variant}" if variant else ""
        return f"pip install --force-reinstall --no-deps {names}{index}"
    release = release_for(m, torch_version)
    if release is not None and variant not in release.variants:
        variant = default_variant(m, torch_version, system=env.platform.system, machine=env.platform.machine)
    wanted = {"torch": torch_version, **pins}
    return install_command(
        m,
        torch_version,
        variant,
        torchvision=pins.get("torchvision"),
        torchaudio=pins.get("torchaudio"),
        system=env.platform.system,
        machine=env.platform.machine,
        labelled=frozenset(
            name for name, version in wanted.items() if _other_build_kept(env, m, name, version, variant)
        ),
    )


def _other_build_kept(
    env: Environment, matrices: Matrices, name: str, version: str, variant: str | None
) -> bool:
    """Whether ``name`` is installed at ``version`` as another build than ``variant``: a bare
    ``==version`` would leave it in place ("Requirement already satisfied")."""
    pkg = env.package(name)
    have, want = parse_version(pkg.version) if pkg else None, parse_version(version)
    if pkg is None or have is None or want is None or variant is None or _MINOR_RE.match(version):
        return False
    if have.public != want.public:
        return False
    plat = env.platform
    torch = env.package("torch")
    installed = (
        local_variant(pkg.version)
        or (probed_variant(env) if name == "torch" else None)
        or default_variant(
            matrices, torch.version if torch else version, system=plat.system, machine=plat.machine
        )
    )
    return installed != variant
