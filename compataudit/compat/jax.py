"""JAX facts (``matrices/jax.toml``) and JAX's part of the builds protocol.

jax is pure Python; jaxlib carries the XLA runtime; GPU support comes from a separate
plugin (``jax-cuda12-plugin`` / ``jax-cuda13-plugin`` plus its ``-pjrt`` wheel) whose
version must equal jaxlib's. jax refuses a jaxlib older than its minimum or newer than
itself.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from packaging.version import Version

from compataudit.compat._rows import RowReader, read_rows
from compataudit.compat.builds import ResolvedBuild
from compataudit.compat.cuda import arch_supported, parse_cc
from compataudit.compat.matrices import Matrices
from compataudit.model import Environment, Package
from compataudit.versions import in_range, numeric_prefix, parse_version


class JaxRelease(NamedTuple):
    version: Version
    min_jaxlib: Version
    jaxlib: Version  # the jaxlib published with it (no jaxlib 0.5.2 exists: 0.5.1)
    python: str  # specifier: ">=3.11"
    numpy: str  # specifier: ">=2.0"
    archs: dict[int, tuple[str, ...]]  # CUDA major -> the plugin's GPU targets
    sources: tuple[str, ...]
    cudnn: dict[int, str]  # CUDA major -> the oldest cuDNN the plugin accepts (Requires-Dist)


class JaxPlugin(NamedTuple):
    name: str  # "jax-cuda12-plugin"
    pjrt: str  # "jax-cuda12-pjrt"
    extra: str  # "cuda12": pip install "jax[cuda12]"
    cuda_major: int
    cuda_min: str  # the oldest CUDA the plugin works with
    driver_min: str
    sm_min: str
    sources: tuple[str, ...]


class JaxView(NamedTuple):
    releases: tuple[JaxRelease, ...]  # newest first
    plugins: tuple[JaxPlugin, ...]  # newest CUDA first (the order jax itself tries them)


class JaxSet(NamedTuple):
    """One installable, mutually compatible JAX stack."""

    jax: str
    jaxlib: str
    plugin: str | None  # None: CPU only
    cuda_major: int | None
    command: str
    sources: tuple[str, ...]


_NON_EMPTY = re.compile(r"\S")


def _version(r: RowReader, key: str) -> Version:
    value = parse_version(r.version(key, required=True))
    assert value is not None  # r.version() raised otherwise
    return value


def _release(r: RowReader) -> JaxRelease:
    archs = {
        major: r.texts(f"cuda{major}_archs")
        for major in (12, 13)
        if r.row.get(f"cuda{major}_archs") is not None
    }
    cudnn = {}
    for major in (12, 13):
        floor = r.version(f"cuda{major}_cudnn")
        if floor is not None:
            cudnn[major] = floor
    return JaxRelease(
        version=_version(r, "version"),
        min_jaxlib=_version(r, "min_jaxlib"),
        jaxlib=_version(r, "jaxlib" if "jaxlib" in r.row else "version"),
        python=str(r.spec("python", required=True)),
        numpy=str(r.spec("numpy", required=True)),
        archs=archs,
        sources=r.sources(),
        cudnn=cudnn,
    )


def _plugin(r: RowReader) -> JaxPlugin:
    cuda_major = r.number("cuda_major")
    if cuda_major is None:
        raise r.fail("cuda_major", "an integer")
    fields = {
        key: r.required(key, _NON_EMPTY, "a non-empty string")
        for key in ("name", "pjrt", "extra", "cuda_min", "driver_min", "sm_min")
    }
    return JaxPlugin(cuda_major=cuda_major, sources=r.sources(), **fields)


def jax_view(matrices: Matrices) -> JaxView:
    """The validated contents of ``jax.toml`` (built once per ``Matrices``)."""
    cached = matrices.views.get("jax")
    if isinstance(cached, JaxView):
        return cached
    releases = map(_release, read_rows(matrices, "jax", "release"))
    plugins = map(_plugin, read_rows(matrices, "jax", "plugin"))
    view = JaxView(
        releases=tuple(sorted(releases, key=lambda r: r.version, reverse=True)),
        plugins=tuple(sorted(plugins, key=lambda p: p.cuda_major, reverse=True)),
    )
    matrices.views["jax"] = view
    return view


def jax_release(matrices: Matrices, version: str | None) -> JaxRelease | None:
    """The row of jax ``version`` (local labels and dev suffixes ignored), or None."""
    v = parse_version(version)
    if v is None:
        return None
    for release in jax_view(matrices).releases:
        if release.version.release == v.release:
            return release
    return None


def installed_plugin(env: Environment, matrices: Matrices) -> tuple[JaxPlugin, Package] | None:
    """The CUDA plugin jax would load (CUDA 13 first, as jax tries them), or None."""
    for plugin in jax_view(matrices).plugins:
        pkg = env.package(plugin.name)
        if pkg is not None:
            return plugin, pkg
    return None


def _runtime_cuda(env: Environment, major: int) -> str | None:
    """major.minor of the pip CUDA runtime wheel of that major, when one is installed."""
    for name in (f"nvidia-cuda-runtime-cu{major}", "nvidia-cuda-runtime"):
        pkg = env.package(name)
        v = numeric_prefix(pkg.version) if pkg else None
        if v is not None and v.release[0] == major and len(v.release) >= 2:
            return f"{v.release[0]}.{v.release[1]}"
    return None


def resolve_build(env: Environment, matrices: Matrices) -> ResolvedBuild | None:
    """JAX as a build: jaxlib plus the CUDA plugin jax would load; None without jaxlib.

    ``cuda`` is the major.minor of the pip CUDA runtime wheel when installed, else the
    oldest CUDA the plugin supports; ``archs`` are the plugin release's compiled targets;
    ``cudnn`` the oldest cuDNN the plugin's own metadata accepts (XLA refuses an older one).
    """
    jax_pkg, jaxlib = env.package("jax"), env.package("jaxlib")
    if jaxlib is None:
        return None
    version = (jax_pkg or jaxlib).version
    pinned = (jax_pkg or jaxlib).pinned
    found = installed_plugin(env, matrices)
    if found is None:
        return ResolvedBuild(
            framework="jax",
            components=tuple(p.name for p in (jax_pkg, jaxlib) if p is not None),
            version=version,
            variant="cpu",
            cuda=None,
            source="pin" if pinned else "metadata",
        )
    plugin, pkg = found
    components = [p.name for p in (jax_pkg, jaxlib, pkg, env.package(plugin.pjrt)) if p is not None]
    release = jax_release(matrices, pkg.version)
    return ResolvedBuild(
        framework="jax",
        components=tuple(components),
        version=version,
        variant=plugin.extra,
        cuda=_runtime_cuda(env, plugin.cuda_major) or plugin.cuda_min,
        archs=release.archs.get(plugin.cuda_major, ()) if release else (),
        cudnn=release.cudnn.get(plugin.cuda_major) if release else None,
        source="pin" if pinned else "metadata",
    )


def _fits(release: JaxRelease, plugin: JaxPlugin, max_cuda: str, gpu_ccs: tuple[str, ...]) -> bool:
    limit = numeric_prefix(max_cuda)
    need = numeric_prefix(plugin.cuda_min)
    if limit is None or need is None or need.release[:2] > (*limit.release, 0)[:2]:
        return False
    archs = release.archs.get(plugin.cuda_major)
    if not archs:
        return False
    floor = parse_cc(plugin.sm_min)
    for cc in gpu_ccs:
        parsed = parse_cc(cc)
        if parsed is None:
            continue
        if (floor is not None and parsed < floor) or arch_supported(cc, archs) == "none":
            return False
    return True


def _command(release: JaxRelease, plugin: JaxPlugin | None) -> str:
    if plugin is None:
        return f'pip install "jax=={release.version}" "jaxlib=={release.jaxlib}"'
    return f'pip install "jax[{plugin.extra}]=={release.version}"'


def compatible_sets(
    matrices: Matrices,
    *,
    python: str | None = None,
    max_cuda: str | None = None,
    gpu_ccs: tuple[str, ...] = (),
) -> list[JaxSet]:
    """Installable JAX stacks, newest release first (within one release, newest CUDA first).

    ``python``: only releases whose range holds it. ``max_cuda``: the newest CUDA the
    driver runs (:func:`~compataudit.compat.cuda.max_cuda_for_driver`); None means no
    usable driver, so only CPU stacks. ``gpu_ccs``: every GPU must be served (SASS or PTX)
    and be at least the plugin's documented SM floor.
    """
    view = jax_view(matrices)
    out = []
    for release in view.releases:
        if python is not None and in_range(python, release.python) is False:
            continue
        if max_cuda is None:
            out.append(
                JaxSet(
                    str(release.version),
                    str(release.jaxlib),
                    None,
                    None,
                    _command(release, None),
                    release.sources,
                )
            )
            continue
        out.extend(
            JaxSet(
                str(release.version),
                str(release.jaxlib),
                plugin.name,
                plugin.cuda_major,
                _command(release, plugin),
                release.sources + plugin.sources,
            )
            for plugin in view.plugins
            if _fits(release, plugin, max_cuda, gpu_ccs)
        )
    return out


def suggest_build(
    env: Environment,
    matrices: Matrices,
    build: ResolvedBuild,
    *,
    max_cuda: str | None,
    gpu_ccs: tuple[str, ...],
) -> str | None:
    """The install command of a JAX stack that fits the driver and GPUs (see builds.py).

    The same jax release when it has a fitting plugin, else the newest one that does.
    Without a driver (``max_cuda`` None) the CPU stack, removing the CUDA plugins.
    """
    view = jax_view(matrices)
    if max_cuda is None:
        release = jax_release(matrices, build.version)
        if release is None and not view.releases:
            return None
        names = (name for p in view.plugins for name in (p.name, p.pjrt))
        plugins = " ".join(name for name in names if env.package(name))
        remove = f"pip uninstall -y {plugins}; " if plugins else ""
        return remove + _command(release or view.releases[0], None)
    python = env.python.version or None
    sets = compatible_sets(matrices, python=python, max_cuda=max_cuda, gpu_ccs=gpu_ccs)
    current = parse_version(build.version)
    same = [c for c in sets if current is not None and Version(c.jax).release == current.release]
    if not sets:
        return None
    chosen = (same or sets)[0]
    # Another CUDA major's plugin would stay beside the new one (two PJRT plugins, NVW003).
    others = [
        name
        for p in view.plugins
        if p.name != chosen.plugin
        for name in (p.name, p.pjrt)
        if env.package(name) is not None
    ]
    return (f"pip uninstall -y {' '.join(others)}; " if others else "") + chosen.command
