"""Compiled extensions that will not load: the ELF facts the probe read (``env.extensions``).

EXT001: a ``DT_NEEDED`` library the dynamic loader will not find. EXT002: torch
symbols the extension imports that the installed torch does not export - it was
built against another torch. Both are read from the files; nothing is imported.
"""

from __future__ import annotations

from collections.abc import Iterator

from compataudit.checks import CheckContext, CheckFn
from compataudit.compat import torch as tm
from compataudit.compat.extensions import extensions_view
from compataudit.model import Environment, ExtensionObject, Finding, Severity
from compataudit.probes.extensions import CUDA_LIB_RE, FRAMEWORK_LIB_RE
from compataudit.rules import finding
from compataudit.versions import parse_version

AREA = "extensions"
_TORCH_FAMILY_EXTENSIONS = ("torchvision", "torchaudio")


def _torch_cuda_major(env: Environment) -> str | None:
    build = env.build("torch")
    return build.cuda.split(".")[0] if build is not None and build.cuda else None


def _where(obj: ExtensionObject) -> str:
    return f"{obj.distribution} {obj.version}".strip()


def _provider_text(ctx: CheckContext, soname: str) -> tuple[str, str | None, tuple[str, ...]]:
    """(what provides ``soname``, a pip command, sources)."""
    env = ctx.env
    row = extensions_view(ctx.matrices).provider(soname, _torch_cuda_major(env))
    if row is None:
        return "a system package or the extension's own build (the data does not know this library)", None, ()
    torch = env.package("torch")
    if row.pip == "torch":
        build = env.build("torch")
        if soname.startswith(("libtorch_cuda", "libc10_cuda")) and build is not None and not build.cuda:
            return (
                f"a CUDA build of torch (the installed torch {build.version or ''} is a CPU build)",
                None,
                row.sources,
            )
        return "torch", "pip install torch" if torch is None else None, row.sources
    conda = f"; conda: `conda install -c conda-forge {row.conda}`" if row.conda else ""
    return f"the pip wheel {row.pip}{conda}", f"pip install {row.pip}", row.sources


def check_unresolved_libraries(ctx: CheckContext) -> Iterator[Finding]:
    """EXT001: every DT_NEEDED library of an extension resolves as ld.so would resolve it."""
    for obj in ctx.env.extensions:
        if not obj.unresolved:
            continue
        providers = [(soname, *_provider_text(ctx, soname)) for soname in obj.unresolved]
        core = any(FRAMEWORK_LIB_RE.match(n) or CUDA_LIB_RE.match(n) for n in obj.unresolved)
        on_import = obj.python_module or any(FRAMEWORK_LIB_RE.match(n) for n in obj.links)
        names = ", ".join(obj.unresolved)
        provided = "; ".join(f"{soname}: {provides}" for soname, provides, _c, _s in providers)
        wheels = list(dict.fromkeys(c.removeprefix("pip install ") for _n, _p, c, _s in providers if c))
        failure = (
            _failure(obj) if on_import else f"loading {obj.path.rsplit('/', 1)[-1]} (on first use) fails"
        )
        yield finding(
            "EXT001",
            f"{_where(obj)}: {obj.path} needs {names}, which the dynamic loader will not find",
            f"{failure} with `{obj.unresolved[0]}: cannot open shared object file`. Provided by: "
            f"{provided}. Searched as ld.so does: the object's RPATH/RUNPATH, LD_LIBRARY_PATH, "
            "/etc/ld.so.cache, the default folders and what `import torch` loads first.",
            components=(
                obj.distribution,
                *(("torch",) if any("torch" in p for _n, p, _c, _s in providers) else ()),
            ),
            fix=f"pip install {' '.join(wheels)}" if wheels else None,
            sources=tuple(src for _n, _p, _c, srcs in providers for src in srcs),
            severity=Severity.ERROR if (on_import and core) else Severity.WARNING,
        )


def _symbol_fix(ctx: CheckContext, obj: ExtensionObject) -> str:
    torch = ctx.env.package("torch")
    if torch is None:
        return f"Reinstall {obj.distribution} built for the installed torch"
    parsed = parse_version(torch.version)
    public = parsed.public if parsed is not None else torch.version
    if obj.distribution in _TORCH_FAMILY_EXTENSIONS:
        return tm.family_command(
            ctx.env, ctx.matrices, public, tm.probed_variant(ctx.env), extensions_only=True
        )
    return (
        f"Install the {obj.distribution} build for torch {public} (its release notes name the torch "
        f"each release was built with), or build it here: `pip install --no-build-isolation "
        f"--no-binary {obj.distribution} --force-reinstall --no-deps {obj.distribution}`"
    )


def _failure(obj: ExtensionObject) -> str:
    """What fails: ``import`` of a Python module, else loading the library (torch.ops, ctypes)."""
    return "`import` fails" if obj.python_module else f"loading {obj.path.rsplit('/', 1)[-1]} fails"


def check_undefined_symbols(ctx: CheckContext) -> Iterator[Finding]:
    """EXT002: the torch symbols an extension imports are exported by the installed torch."""
    for obj in ctx.env.extensions:
        if not obj.missing_count or not obj.missing_symbols:
            continue
        from compataudit.probes.demangle import demangle  # ctypes and libstdc++: only when needed

        first = obj.missing_symbols[0]
        readable = demangle(first)
        abi = ""
        if all("cxx11" in s for s in obj.missing_symbols):
            abi = (
                " Every one of them names the C++11 std::string ABI (__cxx11 / [abi:cxx11]): "
                "the extension may have been built with the other _GLIBCXX_USE_CXX11_ABI setting."
            )
        more = f" and {obj.missing_count - 1} more" if obj.missing_count > 1 else ""
        yield finding(
            "EXT002",
            f"{_where(obj)} was built against another torch: {_failure(obj)} with undefined "
            f"symbol `{readable}`",
            f"{obj.path} imports {obj.missing_count} torch/c10 symbol(s) that no library of the "
            f"installed {obj.framework or 'torch'} exports: `{first}`{more}.{abi}",
            components=(obj.distribution, "torch"),
            fix=_symbol_fix(ctx, obj),
        )


CHECKS: tuple[CheckFn, ...] = (check_unresolved_libraries, check_undefined_symbols)
