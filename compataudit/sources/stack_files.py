"""Apply what ``-r`` files say to an Environment: pins (markers evaluated), builds, Python, notes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from compataudit.distributions import TENSORFLOW
from compataudit.errors import InputError
from compataudit.inputs import Pin, StackFile
from compataudit.model import BuildInfo, Environment, Package, ProbeStatus, ToolkitInfo
from compataudit.versions import marker_applies

# The framework whose build facts a pinned distribution replaces.
BUILD_OF = {"torch": "torch", "jaxlib": "jaxlib", **dict.fromkeys(TENSORFLOW, "tensorflow")}


def chosen_pins(files: Iterable[StackFile], env: Environment) -> list[Pin]:
    """The pins of ``files`` whose markers hold in ``env``; InputError when two disagree."""
    from compataudit.versions import marker_environment, platform_markers

    markers = marker_environment(env) or platform_markers(env)
    chosen: dict[str, Pin] = {}
    for stack in files:
        for pin in stack.pins:
            if marker_applies(pin.marker, markers) is False:
                continue  # e.g. a sys_platform == "darwin" pin on a Linux machine
            earlier = chosen.get(pin.name)
            if earlier is not None and earlier.version != pin.version:
                raise InputError(
                    f"{pin.where}: {pin.name}=={pin.version} conflicts with "
                    f"{pin.name}=={earlier.version} at {earlier.where}"
                )
            chosen.setdefault(pin.name, pin)
    return list(chosen.values())


def resolve_ngc_bases(files: Sequence[StackFile]) -> list[StackFile]:
    """Files whose base image is an NGC container, with the torch and Python its release ships.

    From ``matrices/ngc.toml``; a release missing there is said in a note, never guessed.
    A ``pip install torch`` in the file replaces the image's torch, so it wins.
    """
    out = []
    for stack in files:
        if not (stack.ngc_container and stack.ngc_release):
            out.append(stack)
            continue
        from compataudit.compat.matrices import load_matrices
        from compataudit.compat.ngc import ngc_view

        row = ngc_view(load_matrices()).release(stack.ngc_container, stack.ngc_release)
        image = f"nvcr.io/nvidia/{stack.ngc_container}:{stack.ngc_release}"
        if row is None:
            out.append(
                replace(
                    stack,
                    notes=(
                        *stack.notes,
                        f"{stack.base_where}: {image} is not in "
                        "matrices/ngc.toml; the framework it ships is not audited",
                    ),
                )
            )
            continue
        pins = stack.pins
        if stack.ngc_container == "pytorch" and row.framework and not any(p.name == "torch" for p in pins):
            build = BuildInfo(
                framework="torch",
                distribution="torch",
                version=row.framework,
                cuda=row.cuda,
                cudnn=row.cudnn,
                is_cuda_build=True,
                source=f"matrices/ngc.toml ({image})",
            )
            pins = (Pin("torch", row.framework, stack.base_where or stack.path, build=build), *pins)
        notes = stack.notes
        if pins is stack.pins:  # a row without the framework version (or a TensorFlow image)
            notes = (
                *notes,
                f"{stack.base_where}: matrices/ngc.toml does not name the {stack.ngc_container} "
                f"version {image} ships; it is not audited",
            )
        out.append(replace(stack, pins=pins, python=stack.python or row.python, notes=notes))
    return out


def apply_stack_files(env: Environment, files: Sequence[StackFile]) -> Environment:
    """``env`` with the pins, build facts, system CUDA and notes of ``files``."""
    if not files:
        return env
    pins = chosen_pins(files, env)
    env = replace_packages(
        env,
        [
            Package(name=p.name, version=p.version, pinned=True, pinned_at=p.where, channel=p.channel)
            for p in pins
        ],
    )
    return apply_facts(env, files, pins)


def apply_facts(env: Environment, files: Sequence[StackFile], pins: Sequence[Pin]) -> Environment:
    """``env`` with what ``files`` fix besides packages: pinned build facts, system CUDA, notes."""
    builds = {b.framework: b for b in env.builds}
    builds.update((p.build.framework, p.build) for p in pins if p.build is not None)
    env = replace(env, builds=tuple(builds.values()))
    for stack in files:
        if stack.system_cuda or stack.system_cudnn:
            env = replace(
                env,
                toolkit=ToolkitInfo(
                    status=ProbeStatus.OK,
                    nvcc_version=stack.system_cuda,
                    cudnn_version=stack.system_cudnn,
                    cudnn_source=stack.path if stack.system_cudnn else None,
                ),
            )
    from compataudit.compat.ngc import RELEASE_VARIABLES

    # What the NGC container sets: NVIDIA_PYTORCH_VERSION=24.07 tells its torch from others.
    variables = dict(env.env_vars)
    for stack in files:
        if stack.ngc_container in RELEASE_VARIABLES and stack.ngc_release:
            variables[RELEASE_VARIABLES[stack.ngc_container]] = stack.ngc_release
    notes = tuple(note for stack in files for note in stack.notes)
    return replace(env, notes=env.notes + notes, env_vars=tuple(variables.items()))


def replace_packages(env: Environment, pins: Iterable[Package]) -> Environment:
    """``env`` with ``pins`` added or replacing installed distributions (and their build facts)."""
    packages = {p.name: p for p in env.packages}
    dropped_builds = set()
    for pin in pins:
        if pin.name in TENSORFLOW:
            # One TensorFlow at a time: pinning a variant replaces whichever is installed.
            for other in TENSORFLOW:
                packages.pop(other, None)
        packages[pin.name] = pin
        if pin.name in BUILD_OF:
            dropped_builds.add(BUILD_OF[pin.name])
    builds = tuple(b for b in env.builds if b.framework not in dropped_builds)
    return replace(env, packages=tuple(sorted(packages.values(), key=lambda p: p.name)), builds=builds)
