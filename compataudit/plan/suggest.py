"""``suggest``: the newest mutually compatible stack for an environment, with install commands.

The answer is read from the matrices through the framework compat modules
(``compatible_sets`` / ``compatible_stacks``, newest first): the CUDA variant
must be at most what the driver runs (:func:`~compataudit.compat.cuda.max_cuda_for_driver`)
and its architectures must cover every GPU. When no GPU build fits, the answer
says so plainly and falls back to the newest build that does work (CPU).

Every suggestion also carries ``pins`` (``NAME==VERSION``): applied as what-if
pins to the same environment, the checks find no error — the tests hold it to
that over a table of drivers, GPUs and Pythons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from compataudit.compat.matrices import Matrices
from compataudit.distributions import canonical_name
from compataudit.errors import UsageError
from compataudit.model import Environment
from compataudit.versions import in_range, local_variant, major_minor, parse_version, variant_cuda

FRAMEWORKS = ("torch", "tensorflow", "jax")


@dataclass(frozen=True)
class Target:
    """What the suggestion must run on."""

    python: str
    system: str
    machine: str
    driver: str | None
    gpu_ccs: tuple[str, ...]  # compute capabilities of every GPU whose cc is known
    max_cuda: str | None  # newest CUDA the driver runs; None: no usable driver

    @property
    def gpu(self) -> bool:
        return bool(self.gpu_ccs) and self.max_cuda is not None


@dataclass
class Part:
    """One framework's share of the suggestion."""

    framework: str
    packages: dict[str, str] = field(default_factory=dict)  # name -> version or specifier
    variant: str | None = None
    pins: list[str] = field(default_factory=list)
    command: str | None = None
    numpy: str | None = None  # the numpy specifier this part needs
    reasons: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suggestion:
    target: Target
    packages: dict[str, str]
    variants: dict[str, str]
    pins: tuple[str, ...]  # NAME==VERSION, for `check --pin` (and the round-trip tests)
    commands: tuple[str, ...]  # pip commands, then the same with uv
    reasons: tuple[str, ...]
    problems: tuple[str, ...]  # "nothing fits" statements, said plainly
    sources: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "target": {
                "python": self.target.python,
                "system": self.target.system,
                "machine": self.target.machine,
                "driver": self.target.driver,
                "gpu_ccs": list(self.target.gpu_ccs),
                "max_cuda": self.target.max_cuda,
            },
            "packages": self.packages,
            "variants": self.variants,
            "pins": list(self.pins),
            "commands": list(self.commands),
            "reasons": list(self.reasons),
            "problems": list(self.problems),
            "sources": list(self.sources),
        }


def target_for(env: Environment, matrices: Matrices) -> tuple[Target, list[str]]:
    """The machine facts a suggestion depends on, and reasons that explain them."""
    from compataudit.compat.cuda import cc_for_gpu_name, gpu_family, max_cuda_for_driver
    from compataudit.probes.visibility import visible_gpus

    python = env.python.version.strip()
    if not python:
        raise UsageError("suggest needs a Python version: this environment has none (pass --python X.Y)")
    notes: list[str] = []
    ccs: list[str] = []
    for gpu in visible_gpus(env):
        cc = gpu.compute_capability or cc_for_gpu_name(matrices, gpu.name)
        if cc is None:
            notes.append(
                f"GPU {gpu.index} ({gpu.name}): compute capability unknown, "
                "so no build can be promised to run on it; it is left out"
            )
            continue
        ccs.append(cc)
    driver = env.nvidia.driver_version
    max_cuda = max_cuda_for_driver(matrices, driver, env.platform.system) if driver else None
    if ccs:
        names = ", ".join(sorted({f"{cc} ({gpu_family(matrices, cc) or 'unknown family'})" for cc in ccs}))
        notes.append(f"GPUs: compute capability {names}")
        if driver is None:
            notes.append("no NVIDIA driver: only CPU builds can run; install the driver for GPU builds")
        elif max_cuda is None:
            notes.append(f"driver {driver} is older than every CUDA release known: CPU builds")
        else:
            notes.append(f"driver {driver} runs CUDA up to {max_cuda}")
    else:
        notes.append("no NVIDIA GPU: CPU builds")
    target = Target(python, env.platform.system, env.platform.machine, driver, tuple(ccs), max_cuda)
    return target, notes


# --------------------------------------------------------------------------- torch


def plan_torch(m: Matrices, t: Target) -> Part:
    """torch + torchvision + torchaudio: the newest release with a build that runs here."""
    from compataudit.compat import torch as tc

    part = Part("torch")
    kw: dict[str, Any] = {"python": t.python, "system": t.system, "machine": t.machine}
    sets = tc.compatible_sets(m, max_cuda=t.max_cuda, gpu_ccs=t.gpu_ccs, **kw) if t.gpu else []
    if t.gpu and not sets:
        part.problems.append(
            f"No torch build in the compatibility data is known to run on these GPUs "
            f"(compute capability "
            f"{', '.join(sorted(set(t.gpu_ccs)))}) with driver {t.driver}: "
            + _torch_why_not(m, t)
            + " The newest torch that does work here is a CPU build."
        )
    if not sets:
        sets = tc.compatible_sets(m, max_cuda=None, **kw)
    if not sets:
        newest = tc.newest_release(m)
        part.problems.append(
            f"No torch release in the data supports Python {t.python}"
            + (f" (torch {newest.minor}: {newest.python})." if newest else ".")
        )
        return part
    # The whole family is the point: prefer the newest set that has torchvision too.
    best = (
        next((s for s in sets if s.torchvision and s.torchaudio), None)
        or next((s for s in sets if s.torchvision), None)
        or sets[0]
    )
    if best is not sets[0]:
        part.reasons.append(
            f"torch {sets[0].torch} is newer, but no torchvision release pairs "
            f"with it in the data: torch {best.torch} keeps the family complete"
        )
    release = tc.release_for(m, best.torch)
    part.variant = best.variant
    part.packages = {"torch": f"{best.torch}.*"}
    part.pins = [f"torch=={best.torch}+{best.variant}"]
    for name, version in (("torchvision", best.torchvision), ("torchaudio", best.torchaudio)):
        if version:
            part.packages[name] = f"{version}.*"
            part.pins.append(f"{name}=={version}+{best.variant}")
    part.command = best.command
    part.numpy = None if release is None or release.numpy2 else "<2"
    build = f"CUDA {best.cuda} build ({best.variant})" if best.cuda else "CPU build"
    part.reasons.append(
        f"torch {best.torch}, {build}: the newest release with a build for "
        f"Python {t.python}" + (" that runs on every GPU within the driver's CUDA" if best.cuda else "")
    )
    newest = tc.newest_release(m)
    if t.gpu and best.cuda and newest is not None and newest.minor != best.torch:
        part.reasons.append(f"torch {newest.minor} is newer but: " + _torch_why_not(m, t))
    if not best.torchvision or not best.torchaudio:
        missing = [
            n for n, v in (("torchvision", best.torchvision), ("torchaudio", best.torchaudio)) if not v
        ]
        part.reasons.append(
            f"no {' or '.join(missing)} release for torch {best.torch} on "
            f"Python {t.python} in the data: left out"
        )
    part.sources = best.sources
    return part


def _torch_why_not(m: Matrices, t: Target) -> str:
    """Why the newest torch has no build for this driver / these GPUs (one sentence)."""
    from compataudit.compat import torch as tc
    from compataudit.compat.cuda import driver_requirement

    newest = tc.newest_release(m)
    if newest is None:
        return "the data lists no torch release."
    cudas = sorted((c, v) for v in newest.variants if (c := major_minor(variant_cuda(v))) is not None)
    limit = major_minor(t.max_cuda)
    fitting = [v for c, v in cudas if limit is not None and c <= limit]
    if cudas and not fitting:
        need = variant_cuda(cudas[0][1]) or ""
        req = driver_requirement(m, need, t.system)
        floor = req.floor or req.toolkit_min
        return (
            f"torch {newest.minor}'s oldest CUDA build ({cudas[0][1]}) needs "
            + (f"driver >= {floor}" if floor else f"CUDA {need}")
            + f" and the driver runs CUDA up to {t.max_cuda}."
        )
    uncovered = sorted(
        {
            cc
            for cc in t.gpu_ccs
            for v in fitting
            if (info := tc.variant_info(m, newest.minor, v)) is not None
            and info.archs
            and tc.cc_coverage(info, cc) is None
        }
    )
    if uncovered:
        return f"torch {newest.minor}'s builds do not include compute capability {', '.join(uncovered)}."
    return f"no torch {newest.minor} build is known to cover these GPUs."


# --------------------------------------------------------------------------- tensorflow


def plan_tensorflow(m: Matrices, t: Target) -> Part:
    """TensorFlow (GPU or CPU distribution) with the Keras it expects."""
    from compataudit.compat import keras as kc
    from compataudit.compat import tensorflow as tfc

    part = Part("tensorflow")
    kw: dict[str, Any] = {"python": t.python, "system": t.system, "machine": t.machine}
    stacks = tfc.compatible_stacks(m, max_cuda=t.max_cuda, gpu_ccs=t.gpu_ccs, **kw) if t.gpu else []
    if t.gpu and not stacks:
        part.problems.append(
            f"No TensorFlow GPU build in the compatibility data runs here (compute capability "
            f"{', '.join(sorted(set(t.gpu_ccs)))}, CUDA up to {t.max_cuda}); the newest "
            "TensorFlow that does work here is the CPU package."
        )
    if not stacks:
        stacks = tfc.compatible_stacks(m, **kw)
    if not stacks:
        part.problems.append(f"No TensorFlow release in the data supports Python {t.python}.")
        return part
    best = stacks[0]
    part.packages = {best.distribution: best.tensorflow}
    part.pins = [f"{best.distribution}=={best.tensorflow}"]
    part.variant = f"cuda{best.cuda}" if best.cuda else "cpu"
    keras = _keras_version(kc.keras_matrix(m), best.keras, t.python)
    if best.keras:
        part.packages["keras"] = best.keras.removeprefix("keras")
        if keras:
            part.pins.append(f"keras=={keras}")
    part.command = best.command
    part.numpy = best.numpy
    kind = f"GPU build (CUDA {best.cuda})" if best.cuda else "CPU package"
    part.reasons.append(
        f"{best.distribution} {best.tensorflow}, {kind}: the newest release "
        f"tested with Python {t.python}"
        + (" whose CUDA and architectures fit the driver and GPUs" if best.cuda else "")
    )
    if best.keras:
        part.reasons.append(f"{best.keras}: the Keras TensorFlow {best.tensorflow} expects")
    if best.tf_keras:
        part.reasons.append(f"for Keras 2 code add {best.tf_keras} and set TF_USE_LEGACY_KERAS=1")
    part.sources = best.sources
    return part


def _keras_version(km: Any, requirement: str | None, python: str) -> str | None:
    """An exact keras release inside ``requirement`` (newest known), for the what-if pin."""
    if not requirement:
        return None
    spec_text = requirement.removeprefix("keras")
    if spec_text.startswith("=="):
        return spec_text[2:]
    try:
        spec = SpecifierSet(spec_text)
    except InvalidSpecifier:
        return None
    fitting = [
        r.version
        for r in km.keras3
        if spec.contains(r.version, prereleases=True) and in_range(python, r.requires_python) is not False
    ]
    return max(fitting, key=Version) if fitting else None


# --------------------------------------------------------------------------- jax


def plan_jax(m: Matrices, t: Target) -> Part:
    """jax + jaxlib (+ the CUDA plugin whose CUDA the driver runs)."""
    from compataudit.compat import jax as jc

    part = Part("jax")
    sets = jc.compatible_sets(m, python=t.python, max_cuda=t.max_cuda, gpu_ccs=t.gpu_ccs) if t.gpu else []
    if t.gpu and not sets:
        part.problems.append(
            f"No JAX CUDA plugin in the compatibility data runs here (compute capability "
            f"{', '.join(sorted(set(t.gpu_ccs)))}, CUDA up to {t.max_cuda}); the newest JAX "
            "that does work here is the CPU build."
        )
    if not sets:
        sets = jc.compatible_sets(m, python=t.python)
    if not sets:
        part.problems.append(f"No JAX release in the data supports Python {t.python}.")
        return part
    best = sets[0]
    part.packages = {"jax": best.jax, "jaxlib": best.jaxlib}
    part.pins = [f"jax=={best.jax}", f"jaxlib=={best.jaxlib}"]
    plugin = next((p for p in jc.jax_view(m).plugins if p.name == best.plugin), None)
    if plugin is not None:
        # jax[cudaNN] installs the plugin and PJRT of the same version as jaxlib.
        for name in (plugin.name, plugin.pjrt):
            part.packages[name] = best.jaxlib
            part.pins.append(f"{name}=={best.jaxlib}")
    part.variant = f"cuda{best.cuda_major}" if best.cuda_major else "cpu"
    part.command = best.command
    release = jc.jax_release(m, best.jax)
    part.numpy = release.numpy if release else None
    what = f"with {best.plugin}" if best.plugin else "CPU only"
    part.reasons.append(
        f"jax {best.jax} {what}: the newest release for Python {t.python}"
        + (" whose plugin fits the driver and GPUs" if best.plugin else "")
    )
    part.sources = best.sources
    return part


# --------------------------------------------------------------------------- together


def acted_on_here(command: str, env: Environment, variant: str | None = None) -> str:
    """``command`` as pip will act on it in ``env``: another build of a version the pin
    allows (``2.13.0+cpu`` under ``torch==2.13.*`` from the cu130 index) is force-reinstalled,
    and another TensorFlow distribution is removed first. ``variant``: the build the command
    installs (its index's; PyPI's default when it names none)."""
    from compataudit.compat import torch as tc
    from compataudit.distributions import TENSORFLOW
    from compataudit.plan.installers import parse_pip, render

    step = parse_pip(command)
    if step is None or step.action != "install":
        return command
    names = [Requirement(r).name for r in step.requirements]
    index_variant = step.index_url.rstrip("/").rsplit("/", 1)[-1] if step.index_url else variant
    kept = False
    for text, name in zip(step.requirements, names, strict=True):
        pkg = env.package(name)
        if pkg is None or index_variant is None:
            continue
        built = local_variant(pkg.version) or (tc.probed_variant(env) if pkg.name == "torch" else None)
        if built in (None, index_variant):
            continue
        kept = kept or in_range(pkg.version, str(Requirement(text).specifier)) is True
    if kept:
        command = render(replace(step, force_reinstall=True), "pip")
    others = [
        p.name for p in env.packages if p.name in TENSORFLOW and p.name not in map(canonical_name, names)
    ]
    if others and any(canonical_name(n) in TENSORFLOW for n in names):
        command = f"pip uninstall -y {' '.join(others)}; {command}"
    return command


_PLANNERS = {"torch": plan_torch, "tensorflow": plan_tensorflow, "jax": plan_jax}


def suggest(
    env: Environment,
    matrices: Matrices,
    frameworks: Sequence[str] = FRAMEWORKS,
    *,
    installed_numpy: str | None = None,
) -> Suggestion:
    """The newest compatible set of ``frameworks`` for ``env`` (see the module docstring)."""
    unknown = [f for f in frameworks if f not in _PLANNERS]
    if unknown:
        raise UsageError(f"--framework {unknown[0]!r}: choose torch, tensorflow, jax or all")
    target, reasons = target_for(env, matrices)
    parts = [_PLANNERS[f](matrices, target) for f in frameworks]
    packages: dict[str, str] = {}
    variants: dict[str, str] = {}
    pins: list[str] = []
    commands: list[str] = []
    problems: list[str] = []
    sources: list[str] = []
    for part in parts:
        packages.update(part.packages)
        if part.variant and part.packages:
            variants[part.framework] = part.variant
        pins.extend(part.pins)
        commands.extend([acted_on_here(part.command, env, part.variant)] if part.command else [])
        reasons.extend(part.reasons)
        problems.extend(part.problems)
        sources.extend(part.sources)
    numpy = _numpy_plan([p for p in parts if p.packages], installed_numpy)
    if numpy is not None:
        spec, pin, why = numpy
        if spec is None:
            problems.append(why)
        else:
            packages["numpy"] = spec
            commands.append(f'pip install "numpy{spec}"')
            reasons.append(why)
            if pin:
                pins.append(f"numpy=={pin}")
    uv = [
        c.replace("pip install ", "uv pip install ", 1).replace("pip uninstall -y ", "uv pip uninstall ")
        for c in commands
    ]
    return Suggestion(
        target,
        packages,
        variants,
        tuple(pins),
        tuple(commands + uv),
        tuple(reasons),
        tuple(problems),
        tuple(dict.fromkeys(sources)),
    )


def _numpy_plan(parts: Sequence[Part], installed: str | None) -> tuple[str | None, str | None, str] | None:
    """(specifier, exact pin, reason) for numpy; specifier None when no numpy fits them all."""
    needs = [(p.framework, p.numpy) for p in parts if p.numpy]
    if not needs:
        return None
    spec = _simplify(SpecifierSet(",".join(s for _, s in needs)))
    wants = "; ".join(f"{f} needs numpy{s}" for f, s in needs)
    floors = [parse_version(s.version) for s in spec if s.operator in (">=", "==", "~=")]
    candidates = [installed] if installed else []
    candidates += [str(max(v for v in floors if v is not None))] if any(floors) else []
    pin = next((c for c in candidates if spec.contains(c, prereleases=True)), None)
    if pin is None and floors:
        return (
            None,
            None,
            (f"No numpy satisfies every framework ({wants}): install them in separate environments."),
        )
    if pin == installed and installed:
        return str(spec), pin, f"numpy{spec} ({wants}); the installed {installed} fits"
    return str(spec), pin, f"numpy{spec} ({wants})"


def _simplify(spec: SpecifierSet) -> SpecifierSet:
    """Keep only the highest lower bound and the lowest upper bound (``>=1.26,>=2.0`` -> ``>=2.0``)."""
    lower = [s for s in spec if s.operator in (">=", ">")]
    upper = [s for s in spec if s.operator in ("<", "<=")]
    rest = [str(s) for s in spec if s not in lower and s not in upper]
    if lower:
        rest.append(str(max(lower, key=lambda s: Version(s.version))))
    if upper:
        rest.append(str(min(upper, key=lambda s: Version(s.version))))
    return SpecifierSet(",".join(sorted(rest)))
