"""jax, jaxlib and the CUDA plugins: versions that must agree, and the Python they need."""

from __future__ import annotations

from collections.abc import Iterator

from compataudit.checks import CheckContext, CheckFn
from compataudit.compat.jax import installed_plugin, jax_release, jax_view
from compataudit.model import Finding
from compataudit.rules import finding
from compataudit.versions import in_range, parse_version

# jax's own check (jaxlib <= jax, jaxlib >= jax's minimum) lives here:
_CHECK_SOURCE = "https://github.com/jax-ml/jax/blob/main/jax/_src/lib/__init__.py"
_TAG_URL = "https://github.com/jax-ml/jax/blob"


def _fix_command(ctx: CheckContext, version: str) -> str:
    found = installed_plugin(ctx.env, ctx.matrices)
    if found is not None:
        return f'pip install "jax[{found[0].extra}]=={version}"'
    return f'pip install "jax=={version}" "jaxlib=={version}"'


def check_jaxlib(ctx: CheckContext) -> Iterator[Finding]:
    """JAX001: jaxlib must be >= jax's minimum jaxlib and <= jax."""
    jax_pkg, jaxlib = ctx.env.package("jax"), ctx.env.package("jaxlib")
    if jax_pkg is None or jaxlib is None:
        return  # a missing jaxlib is PKG001's
    jax_v, lib_v = parse_version(jax_pkg.version), parse_version(jaxlib.version)
    if jax_v is None or lib_v is None:
        return  # PKG005
    release = jax_release(ctx.matrices, jax_pkg.version)
    fix = _fix_command(ctx, jax_v.public)
    if lib_v.release > jax_v.release:
        yield finding(
            "JAX001",
            f"jaxlib {jaxlib.version} is newer than jax {jax_pkg.version}",
            f"jax refuses a jaxlib newer than itself: `import jax` raises 'jaxlib version "
            f"{jaxlib.version} is newer than and incompatible with jax version {jax_pkg.version}'.",
            components=("jax", "jaxlib"),
            fix=fix,
            sources=(_CHECK_SOURCE, *(release.sources if release else ())),
        )
    elif release is not None and lib_v.release < release.min_jaxlib.release:
        yield finding(
            "JAX001",
            f"jaxlib {jaxlib.version} is older than jax {jax_pkg.version} requires (>= {release.min_jaxlib})",
            f"`import jax` raises 'jaxlib is version {jaxlib.version}, but this version of jax "
            f"requires version >= {release.min_jaxlib}'.",
            components=("jax", "jaxlib"),
            fix=fix,
            sources=(_CHECK_SOURCE, *release.sources),
        )


def check_plugins(ctx: CheckContext) -> Iterator[Finding]:
    """JAX002: every installed CUDA plugin / pjrt wheel must carry jaxlib's exact version."""
    jaxlib = ctx.env.package("jaxlib")
    lib_v = parse_version(jaxlib.version) if jaxlib else None
    for plugin in jax_view(ctx.matrices).plugins:
        for name in (plugin.name, plugin.pjrt):
            pkg = ctx.env.package(name)
            v = parse_version(pkg.version) if pkg else None
            if pkg is None or v is None or lib_v is None or jaxlib is None:
                continue
            if v.release == lib_v.release:
                continue
            yield finding(
                "JAX002",
                f"{name} {pkg.version} does not match jaxlib {jaxlib.version}",
                f"{name} must have jaxlib's exact version; with {pkg.version} beside jaxlib "
                f"{jaxlib.version} JAX skips the CUDA backend or fails to initialise it.",
                components=("jaxlib", name),
                # the installed plugin wheels pinned too: a project that lists them keeps them
                fix=f'pip install "jax[{plugin.extra}]=={lib_v.public}" '
                + " ".join(f"{n}=={lib_v.public}" for n in (plugin.name, plugin.pjrt) if ctx.env.package(n)),
                sources=(*plugin.sources, f"{_TAG_URL}/jax-v{lib_v.public}/setup.py"),
            )


def check_python(ctx: CheckContext) -> Iterator[Finding]:
    """PY001: the interpreter against the jax (and jaxlib) release's Python range."""
    python = ctx.env.python.version
    if not python:
        return
    for name in ("jax", "jaxlib"):
        pkg = ctx.env.package(name)
        release = jax_release(ctx.matrices, pkg.version) if pkg else None
        if pkg is None or release is None or in_range(python, release.python) is not False:
            continue
        releases = jax_view(ctx.matrices).releases
        newest = next((r for r in releases if in_range(python, r.python)), None)
        fix = f"Use a Python in {release.python}"
        if newest is not None:
            fix += f', or install a jax release for Python {python}: pip install "jax=={newest.version}"'
        yield finding(
            "PY001",
            f"{name} {pkg.version} does not support Python {python} (needs {release.python})",
            f"{name} {pkg.version} declares Python {release.python}; pip will not install it "
            f"for {python}, and an existing install may fail at import.",
            components=(name, "python"),
            fix=fix,
            sources=release.sources,
        )


def check_known(ctx: CheckContext) -> Iterator[Finding]:
    """MAT001: a jax release the matrices have no row for."""
    pkg = ctx.env.package("jax")
    if pkg is None or parse_version(pkg.version) is None or jax_release(ctx.matrices, pkg.version):
        return
    known = jax_view(ctx.matrices).releases
    span = f"{known[-1].version} to {known[0].version}" if known else "none"
    yield finding(
        "MAT001",
        f"jax {pkg.version} is not in compataudit's JAX data",
        f"The data covers jax {span}; the jaxlib minimum and Python range of {pkg.version} "
        "are unknown, so only the generic rule (jaxlib <= jax) is checked.",
        components=("jax",),
        fix="Update compataudit, or pass --matrices DIR with newer data",
        sources=("https://github.com/jax-ml/jax/blob/main/CHANGELOG.md",),
    )


CHECKS: tuple[CheckFn, ...] = (check_jaxlib, check_plugins, check_python, check_known)
