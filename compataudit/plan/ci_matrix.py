"""Version matrices for CI: the sets of package versions that work together.

``compataudit matrix compatible torch torchvision --python 3.11`` and the
project's own ``nox -s matrix`` both ask :func:`compatible_sets`. Each family
of packages is answered from the typed matrix views (newest first):

* torch, torchvision, torchaudio - :func:`compataudit.compat.torch.compatible_sets`;
  exact versions where the data pairs exact releases, else the minor's ``.0``
  release (each torchvision / torchaudio ``.0`` is built for torch's ``.0``);
* jax, jaxlib (and the CUDA plugins with ``--driver``) - :mod:`compataudit.compat.jax`;
* tensorflow / tensorflow-cpu with the keras they require, and keras alone -
  :mod:`compataudit.compat.tensorflow` / :mod:`compataudit.compat.keras` (newest patch of
  each minor).

Without ``driver`` nothing is filtered by CUDA and versions carry no build
variant (pip's default build). With ``driver``, only builds whose CUDA the
driver runs and whose architectures cover every ``gpu_ccs`` qualify, and torch
versions carry their variant as a local label (``2.5.1+cu124``). ``latest``
keeps the newest N sets of each family; several families multiply.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.version import Version

from compataudit.compat.matrices import Matrices
from compataudit.distributions import canonical_name
from compataudit.errors import UsageError
from compataudit.versions import in_range, major_minor, parse_version

if TYPE_CHECKING:  # the framework views load on first use, not with this module
    from compataudit.compat.keras import KerasMatrix
    from compataudit.compat.tensorflow import TfRelease

VersionSet = dict[str, str]

FAMILIES: dict[str, tuple[str, ...]] = {
    "torch": ("torch", "torchvision", "torchaudio"),
    "jax": ("jax", "jaxlib", "jax-cuda12-plugin", "jax-cuda13-plugin"),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "keras"),
}
SUPPORTED = (
    "torch",
    "torchvision",
    "torchaudio",
    "jax",
    "jaxlib",
    "jax-cuda12-plugin",
    "jax-cuda13-plugin",
    "tensorflow",
    "tensorflow-cpu",
    "keras",
)


@dataclass(frozen=True)
class Query:
    """What to generate: packages plus the machine constraints."""

    packages: tuple[str, ...]
    python: str | None = None
    driver: str | None = None
    gpu_ccs: tuple[str, ...] = ()
    latest: int | None = None


def compatible_sets(matrices: Matrices, query: Query) -> list[VersionSet]:
    """Every compatible set of ``query.packages``, newest first (see the module docstring)."""
    packages = _validate(query)
    max_cuda = _max_cuda(matrices, query.driver)
    groups: dict[str, list[str]] = {}
    for pkg in packages:
        groups.setdefault(_family_of(pkg, packages), []).append(pkg)
    per_family = []
    for family, wanted in groups.items():
        sets = _project(FAMILY_SETS[family](matrices, query, max_cuda), wanted)
        per_family.append(sets[: query.latest] if query.latest else sets)
    out = []
    for combo in itertools.product(*per_family):
        merged: VersionSet = {}
        for part in combo:
            merged.update(part)
        out.append({pkg: merged[pkg] for pkg in packages})
    return out


def _validate(query: Query) -> tuple[str, ...]:
    if not query.packages:
        raise UsageError("name at least one package, e.g. `matrix compatible torch torchvision`")
    packages = tuple(dict.fromkeys(canonical_name(p) for p in query.packages))
    unknown = [p for p in packages if p not in SUPPORTED]
    if unknown:
        raise UsageError(
            f"no compatibility data for {', '.join(unknown)} (supported: {', '.join(SUPPORTED)})"
        )
    if "tensorflow" in packages and "tensorflow-cpu" in packages:
        raise UsageError("tensorflow and tensorflow-cpu are alternatives: name one of them")
    if query.python is not None:
        v = parse_version(query.python)
        if v is None or len(v.release) < 2 or v.local or v.pre:
            raise UsageError(f"--python {query.python}: expected X.Y or X.Y.Z, e.g. 3.11")
    if query.latest is not None and query.latest < 1:
        raise UsageError(f"--latest {query.latest}: must be 1 or more")
    for cc in query.gpu_ccs:
        if major_minor(cc) is None or not cc.replace(".", "").isdigit():
            raise UsageError(f"--gpu-cc {cc}: expected a compute capability such as 8.6")
    return packages


def _family_of(pkg: str, packages: tuple[str, ...]) -> str:
    if pkg == "keras" and not {"tensorflow", "tensorflow-cpu"} & set(packages):
        return "keras"
    return next(name for name, members in FAMILIES.items() if pkg in members)


def _max_cuda(matrices: Matrices, driver: str | None) -> str | None:
    if driver is None:
        return None
    from compataudit.compat.cuda import max_cuda_for_driver
    from compataudit.versions import driver_tuple

    if driver_tuple(driver) is None:
        raise UsageError(f"--driver {driver}: expected an NVIDIA driver version such as 550.54.14")
    found = max_cuda_for_driver(matrices, driver)
    if found is None:
        raise UsageError(f"--driver {driver}: older than every CUDA release compataudit knows")
    return found


def _project(sets: Iterable[VersionSet], wanted: list[str]) -> list[VersionSet]:
    """Keep the ``wanted`` keys of the sets that have them all, without duplicates."""
    out: list[VersionSet] = []
    for full in sets:
        if all(k in full for k in wanted):
            part = {k: full[k] for k in wanted}
            if part not in out:
                out.append(part)
    return out


def _vkey(text: object) -> Version:
    """A sort key for a version string; unreadable ones sort oldest."""
    return parse_version(str(text)) or Version("0")


def _dotzero(minor: str | None) -> str | None:
    return None if minor is None else f"{minor}.0"


# ----------------------------------------------------------------- families


def _torch_sets(matrices: Matrices, query: Query, max_cuda: str | None) -> list[VersionSet]:
    from compataudit.compat import torch as tc

    gpu = query.driver is not None
    out = []
    for s in tc.compatible_sets(
        matrices,
        python=query.python,
        max_cuda=max_cuda if gpu else None,
        gpu_ccs=query.gpu_ccs if gpu else (),
    ):
        torch_v, vision_v = _dotzero(s.torch), _dotzero(s.torchvision)
        vision = tc.torchvision_for_torch(matrices, s.torch)
        if vision is not None and vision.pairs and s.torchvision is not None:
            torch_v, vision_v = max(vision.pairs, key=lambda p: _vkey(p[0]))
        label = f"+{s.variant}" if gpu else ""
        found = {"torch": torch_v, "torchvision": vision_v}
        if s.torchaudio is not None and torch_v is not None:
            audio = tc.audio_row(matrices, s.torchaudio)
            exact = tc.exact_pair(audio.pairs, torch_v) if audio is not None else None
            # a stable-ABI torchaudio serves several torch minors: which variants each of
            # its wheels exists for is not in our data, so it gets no variant label
            shared = audio is not None and audio.stable_abi and s.torchaudio != s.torch
            audio_v = exact or f"{s.torchaudio}.0"
            out_audio = audio_v if shared else audio_v + label
        else:
            out_audio = None
        versions = {k: v + label for k, v in found.items() if v is not None}
        if out_audio is not None:
            versions["torchaudio"] = out_audio
        out.append(versions)
    return out


def _jax_sets(matrices: Matrices, query: Query, max_cuda: str | None) -> list[VersionSet]:
    from compataudit.compat import jax as jc

    out = []
    for s in jc.compatible_sets(
        matrices, python=query.python, max_cuda=max_cuda, gpu_ccs=query.gpu_ccs if max_cuda else ()
    ):
        found = {"jax": s.jax, "jaxlib": s.jaxlib}
        if s.plugin is not None:
            found[s.plugin] = s.jax  # jax[cudaNN]==X installs the plugin of the same version
        out.append(found)
    return out


def _keras_sets(matrices: Matrices, query: Query, max_cuda: str | None) -> list[VersionSet]:
    from compataudit.compat.keras import keras_matrix

    km = keras_matrix(matrices)
    return [{"keras": r.version} for r in km.keras3_for_python(query.python)]


def _tf_runs_here(release: TfRelease, max_cuda: str, gpu_ccs: tuple[str, ...]) -> bool:
    from compataudit.compat.cuda import arch_supported

    built, limit = major_minor(release.cuda), major_minor(max_cuda)
    if built is None or limit is None or built > limit:
        return False
    archs = release.archs
    return not gpu_ccs or (bool(archs) and all(arch_supported(cc, archs) != "none" for cc in gpu_ccs))


def _keras_for_tf(km: KerasMatrix, release: TfRelease, python: str | None) -> str | None:
    from compataudit.compat.keras import tf_wants_keras3

    pair = km.keras2_for(release.minor)
    if pair is not None:
        return pair.keras
    if not tf_wants_keras3(release):
        return None  # TF < 2.6 ships Keras inside; 2.6-2.15 rows are in [[keras2]]
    spec = release.keras or ""
    return next((r.version for r in km.keras3_for_python(python) if in_range(r.version, spec)), None)


def _tf_sets(matrices: Matrices, query: Query, max_cuda: str | None) -> list[VersionSet]:
    from compataudit.compat.keras import keras_matrix
    from compataudit.compat.tensorflow import python_ok, tensorflow_matrix

    cpu_only = "tensorflow-cpu" in {canonical_name(p) for p in query.packages}
    km = keras_matrix(matrices)
    out = []
    for release in tensorflow_matrix(matrices).newest_per_minor():
        if query.python is not None and python_ok(release, query.python) is False:
            continue
        if max_cuda is not None and not cpu_only and not _tf_runs_here(release, max_cuda, query.gpu_ccs):
            continue
        found = {"tensorflow": release.newest_patch, "tensorflow-cpu": release.newest_patch}
        keras = _keras_for_tf(km, release, query.python)
        if keras is not None:
            found["keras"] = keras
        out.append(found)
    return out


FAMILY_SETS: dict[str, Callable[[Matrices, Query, str | None], list[VersionSet]]] = {
    "torch": _torch_sets,
    "jax": _jax_sets,
    "tensorflow": _tf_sets,
    "keras": _keras_sets,
}


# ----------------------------------------------------------------- output


def cell_id(version_set: VersionSet) -> str:
    """A short, file-name-safe name of a set: ``torch-2.13.0_torchvision-0.28.0``."""
    return "_".join(f"{pkg}-{version}" for pkg, version in version_set.items())


def requirements(version_set: VersionSet) -> list[str]:
    """pip requirement strings of a set: ``["torch==2.13.0", ...]``."""
    return [f"{pkg}=={version}" for pkg, version in version_set.items()]
