"""Compiled extensions built for another torch or CUDA, found without importing them.

For every installed distribution (not the frameworks themselves) this reads the
shared objects its RECORD lists, keeps those whose ``DT_NEEDED`` names a
framework or CUDA library, and records two facts per object:

- which of its ``DT_NEEDED`` libraries the dynamic loader would not find
  (:mod:`compataudit.probes.loader`), counting the libraries ``import torch``
  has already loaded, and
- which of the torch/c10/ATen symbols it imports no library of the installed
  torch exports: the ``undefined symbol`` an import would fail with.

Facts per file are cached in the user's cache directory by (path, size, mtime)
and by the same key of every torch library they were checked against, so a
second audit of an unchanged environment only stats the files.
"""

# Plain string paths on purpose: these loops stat hundreds of files per audit and pathlib
# objects cost more than the stat (measured: 0.2 s of 0.3 s before this choice).
# ruff: noqa: PTH116, PTH118, PTH120

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compataudit.distributions import canonical_name, is_tensorflow
from compataudit.model import BuildInfo, ExtensionObject, Package
from compataudit.probes.fact_cache import FactCache, default_cache_dir, digest, file_key

if TYPE_CHECKING:
    from compataudit.probes.loader import Loader

MAX_SYMBOLS = 20

# DT_NEEDED names that make an object worth reading: the frameworks' and CUDA's libraries.
FRAMEWORK_LIB_RE = re.compile(r"^lib(torch|c10|shm|caffe2|tensorflow_framework|tensorflow_cc)[^/]*\.so")
CUDA_LIB_RE = re.compile(
    r"^lib(cudart|cudnn|cublas|cublasLt|nccl|cusparse|cusparseLt|cufft|curand|cusolver|nvrtc|"
    r"nvJitLink|nvToolsExt|cupti|nvinfer|nvonnxparser|cufile|nvshmem)[^/]*\.so"
)
# The driver's libraries come with the NVIDIA driver, which the DRV rules judge.
DRIVER_LIB_RE = re.compile(r"^lib(cuda|nvidia-ml|nvcuvid|nvidia-encode)\.so")
# Symbols the installed torch's libraries would provide: Itanium-mangled names in
# the c10, at (ATen), torch or caffe2 namespaces, and torch's Python glue (THP*).
TORCH_SYMBOL_RE = re.compile(r"^_Z.*?(?:N|[^0-9])(?:3c10|2at|5torch|6caffe2)(?:\d|[A-Z])|^_Z\d+THP|^THP")
# bitsandbytes-style variants: one library per CUDA release, the one for torch's CUDA is loaded.
CUDA_VARIANT_RE = re.compile(r"(?:_cuda|cu)(\d{2,3})(?=[._]|$)")


def is_framework_distribution(name: str) -> bool:
    """The frameworks' own distributions: their libraries are what extensions link against."""
    return (
        name in ("torch", "jaxlib", "tensorrt", "tensorrt-cu12-libs", "tensorrt-cu13-libs")
        or name.startswith(("nvidia-", "jax-cuda"))
        or is_tensorflow(name)
    )


def interesting(soname: str) -> bool:
    return bool(FRAMEWORK_LIB_RE.match(soname) or CUDA_LIB_RE.match(soname))


# --------------------------------------------------------------------------- the frameworks' libraries


@dataclass(frozen=True)
class TorchLibs:
    """The installed torch's lib folder: what `import torch` loads and exports."""

    version: str
    directory: str
    files: tuple[str, ...]  # shared objects in torch/lib, full paths
    is_cuda: bool
    signature: str  # (path, size, mtime) of every file: the cache key of a symbol verdict


def find_torch(packages: Sequence[Package]) -> TorchLibs | None:
    torch = next((p for p in packages if p.name == "torch" and p.location), None)
    if torch is None or torch.location is None:
        return None
    directory = os.path.join(torch.location, "torch", "lib")
    try:
        names = sorted(n for n in os.listdir(directory) if ".so" in n)
    except OSError:
        return None
    files, stamp = [], []
    for name in names:
        path = os.path.join(directory, name)
        with contextlib.suppress(OSError):
            st = os.stat(path)
            files.append(path)
            stamp.append(f"{path}\0{st.st_size}\0{st.st_mtime_ns}")
    is_cuda = any(os.path.basename(f).startswith("libtorch_cuda") for f in files)
    return TorchLibs(torch.version, directory, tuple(files), is_cuda, digest("\n".join(stamp)))


def _loaded_by_frameworks(packages: Sequence[Package], torch: TorchLibs | None) -> dict[str, str]:
    """soname -> file, for what importing the frameworks loads first (torch/lib, the nvidia-*
    wheels a CUDA torch preloads, TensorFlow's framework library)."""
    loaded: dict[str, str] = {}
    if torch is not None:
        for path in torch.files:
            loaded.setdefault(os.path.basename(path), path)
        if torch.is_cuda:
            for location in {p.location for p in packages if p.name.startswith("nvidia-") and p.location}:
                for lib in Path(location, "nvidia").glob("*/lib/*.so*"):
                    loaded.setdefault(lib.name, str(lib))
    for pkg in packages:
        if is_tensorflow(pkg.name) and pkg.location:
            for lib in Path(pkg.location, "tensorflow").glob("libtensorflow_*.so*"):
                loaded.setdefault(lib.name, str(lib))
    return loaded


# --------------------------------------------------------------------------- the distributions' files


def _dist_info_dirs(location: str) -> dict[str, str]:
    found: dict[str, str] = {}
    try:
        entries = os.listdir(location)
    except OSError:
        return found
    for entry in entries:
        if entry.endswith(".dist-info"):
            found.setdefault(
                canonical_name(entry[: -len(".dist-info")].split("-")[0]), os.path.join(location, entry)
            )
    return found


_SO_RE = re.compile(r"\.so(?:\.[0-9][^,/\n]*)?,")


def shared_objects(record_text: str) -> list[str]:
    """The ``.so`` files a RECORD lists, relative to the distribution's location."""
    found = []
    for match in _SO_RE.finditer(record_text):
        start = record_text.rfind("\n", 0, match.start()) + 1
        path = record_text[start : match.end() - 1]
        if "," not in path and not path.startswith((".", "/")):
            found.append(path)
    return found


def _linking_objects(location: str, dist_info: str, cache: FactCache) -> list[str]:
    """The objects of one distribution that link framework or CUDA libraries.

    Cached by its RECORD's (path, size, mtime): every pip install or uninstall rewrites
    RECORD, so an unchanged RECORD means the same files, and an audit of an unchanged
    environment stats one RECORD per distribution instead of every shared object in it.
    """
    record = os.path.join(dist_info, "RECORD")
    key = file_key(record)
    if key is None:
        return []
    cached = cache.get(key)
    if isinstance(cached, list):
        return cached
    try:
        objects = shared_objects(Path(record).read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return []
    from compataudit.probes.elf import ElfError

    found = []
    for rel in objects:
        path = os.path.join(location, rel)
        object_key = file_key(path)
        if object_key is None:
            continue
        try:
            facts = read_object(path)
        except (OSError, ElfError):
            continue
        if any(interesting(n) for n in facts["needed"]):
            found.append(rel)
            cache.put(object_key, facts)
    cache.put(key, found)
    return found


def _cuda_tag(cuda: str | None) -> str | None:
    """``12.1`` -> ``121``: how per-CUDA variants spell the release in their names."""
    if not cuda:
        return None
    major, _, minor = cuda.partition(".")
    return major + minor.split(".")[0][:1]


def _other_variant(rel: str, torch_cuda_tag: str | None) -> bool:
    """A per-CUDA variant (``libbitsandbytes_cuda118.so``) that is not the one torch's CUDA loads."""
    match = CUDA_VARIANT_RE.search(rel.rsplit("/", 1)[-1])
    return match is not None and match.group(1) != torch_cuda_tag


# --------------------------------------------------------------------------- reading one object


def read_object(path: str) -> dict[str, Any]:
    """The facts of one object that do not depend on the rest of the environment."""
    from compataudit.probes.elf import ElfFile

    with ElfFile(path) as elf:
        info = elf.dynamic()
        facts: dict[str, Any] = {"needed": list(info.needed), "machine": info.machine}
        if not any(interesting(n) for n in info.needed):
            return facts  # not an extension: nothing else is needed from it
        facts["rpath"], facts["runpath"] = list(info.rpath), list(info.runpath)
        module = os.path.basename(path).split(".", 1)[0]
        facts["python_module"] = f"PyInit_{module}" in elf.exports()
        facts["torch_symbols"] = sorted(
            {s.name for s in elf.undefined_symbols() if not s.weak and TORCH_SYMBOL_RE.search(s.name)}
        )
    return facts


def missing_torch_symbols(symbols: Sequence[str], torch: TorchLibs) -> list[str]:
    """Those of ``symbols`` that no library in torch/lib defines."""
    # libtorch_cpu first: it defines most of what extensions import.
    order = sorted(torch.files, key=lambda p: ("torch_cpu" not in p, "c10" not in p, p))
    return defined_nowhere(symbols, order)


def defined_nowhere(symbols: Sequence[str], libraries: Sequence[str]) -> list[str]:
    """Those of ``symbols`` that none of ``libraries`` defines (each name hashed once)."""
    from compataudit.probes.elf import ElfError, ElfFile, Symbol

    left = [Symbol(name) for name in symbols]
    for path in libraries:
        if not left:
            break
        try:
            with ElfFile(path) as elf:
                lookup = elf.exports()
                left = [symbol for symbol in left if not lookup.defines(symbol)]
        except (OSError, ElfError):
            continue
    return [symbol.name for symbol in left]


def _interpreter_dirs(executable: str | None) -> list[str]:
    """The interpreter's own RPATH/RUNPATH: conda's python finds its libraries through it."""
    from compataudit.probes.elf import ElfError, ElfFile
    from compataudit.probes.loader import expand_origin

    if not executable:
        return []
    real = os.path.realpath(executable)
    try:
        with ElfFile(real) as elf:
            info = elf.dynamic()
    except (OSError, ElfError):
        return []
    return [expand_origin(e, os.path.dirname(real)) for e in (*info.rpath, *info.runpath)]


# --------------------------------------------------------------------------- the probe


def probe_extensions(
    packages: Sequence[Package],
    *,
    environ: Mapping[str, str] | None = None,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    executable: str | None = None,
    torch_cuda: str | None = None,
) -> tuple[ExtensionObject, ...]:
    """Every compiled object of an installed distribution that links framework or CUDA libraries.

    ``torch_cuda``: the CUDA version torch was built with (picks the per-CUDA variant a
    package such as bitsandbytes loads); ``cache_dir`` None with ``use_cache`` means the
    user's cache directory.
    """
    env = os.environ if environ is None else environ
    candidates = [
        p for p in packages if p.location and not p.pinned and not is_framework_distribution(p.name)
    ]
    if not candidates:
        return ()
    where = (cache_dir or default_cache_dir()) if use_cache else None
    cache = FactCache(where, {p.location or "" for p in packages})
    dist_infos: dict[str, dict[str, str]] = {}
    loader: Loader | None = None
    torch: TorchLibs | None = None
    tag = _cuda_tag(torch_cuda)
    results: list[ExtensionObject] = []
    for pkg in sorted(candidates, key=lambda p: p.name):
        location = pkg.location or ""
        infos = dist_infos.get(location)
        if infos is None:
            infos = dist_infos[location] = _dist_info_dirs(location)
        dist_info = infos.get(pkg.name)
        if dist_info is None:
            continue
        for rel in _linking_objects(location, dist_info, cache):
            path = os.path.join(location, rel)
            key = file_key(path)
            if key is None:
                continue
            facts = cache.get(key)
            if facts is None:
                from compataudit.probes.elf import ElfError

                try:
                    facts = read_object(path)
                except (OSError, ElfError) as exc:
                    facts = {"needed": [], "error": str(exc)}
                cache.put(key, facts)
            links = [n for n in facts.get("needed", ()) if interesting(n)]
            if not links or _other_variant(rel, tag):
                continue
            if loader is None:  # the first extension: now the frameworks' libraries matter
                from compataudit.probes.loader import Loader

                torch = find_torch(packages)
                loaded = _loaded_by_frameworks(packages, torch)
                loader = Loader.from_environ(env, loaded, _interpreter_dirs(executable or sys.executable))
            results.append(_judge(pkg, rel, path, key, facts, links, loader, torch, cache))
    cache.save()
    return tuple(results)


def _judge(
    pkg: Package,
    rel: str,
    path: str,
    key: str,
    facts: Mapping[str, Any],
    links: list[str],
    loader: Loader,
    torch: TorchLibs | None,
    cache: FactCache,
) -> ExtensionObject:
    rpath, runpath = facts.get("rpath", ()), facts.get("runpath", ())
    resolved = {
        n: loader.resolve(n, path, rpath, runpath)
        for n in facts.get("needed", ())
        if not DRIVER_LIB_RE.match(n)
    }
    unresolved = tuple(n for n, found in resolved.items() if found is None)
    symbols: Sequence[str] = facts.get("torch_symbols", ())
    links_torch = any(FRAMEWORK_LIB_RE.match(n) and not n.startswith("libtensorflow") for n in links)
    framework, missing, detail = None, [], None
    torch_gone = [n for n in unresolved if FRAMEWORK_LIB_RE.match(n) and not n.startswith("libtensorflow")]
    if torch_gone:  # its imports from a torch library that is not there cannot be judged
        detail = f"torch symbols not checked: {', '.join(torch_gone)} is not in the installed torch"
    elif torch is not None and links_torch:
        framework = f"torch {torch.version}"
        # Libraries it resolves outside torch/lib: its own, or a torch that lives elsewhere
        # (conda-forge's libtorch in $PREFIX/lib) - ld.so searches them too.
        own = [p for p in resolved.values() if p and not p.startswith(torch.directory)]
        verdict_key = f"{key}\0{torch.signature}\0{digest(''.join(file_key(p) or p for p in own))}"
        cached = cache.get(verdict_key)
        if isinstance(cached, list):
            missing = cached
        else:
            missing = missing_torch_symbols(symbols, torch)
            if missing:
                missing = defined_nowhere(missing, own)
            cache.put(verdict_key, missing)
    return ExtensionObject(
        distribution=pkg.name,
        version=pkg.version,
        path=rel,
        links=tuple(links),
        unresolved=unresolved,
        framework=framework,
        missing_symbols=tuple(missing[:MAX_SYMBOLS]),
        missing_count=len(missing),
        python_module=bool(facts.get("python_module")),
        detail=detail,
    )


def probe_environment_extensions(
    packages: Sequence[Package], builds: Iterable[BuildInfo], executable: str | None = None
) -> tuple[ExtensionObject, ...]:
    """:func:`probe_extensions` for a probed environment; a fault of its own reads as no facts."""
    torch_cuda = next((b.cuda for b in builds if b.framework == "torch"), None)
    try:
        return probe_extensions(packages, executable=executable, torch_cuda=torch_cuda)
    except Exception:  # a reader bug must not cost the rest of the audit
        return ()


def who_imports(
    packages: Sequence[Package], symbol: str, *, cache_dir: Path | None = None, use_cache: bool = True
) -> list[tuple[str, str]]:
    """(distribution, object path) of each installed extension that imports ``symbol``.

    For ``explain``: an ``undefined symbol: _ZN...`` pasted from an error names no file;
    this finds the extensions that need it (torch/c10 symbols come from the cached facts,
    any other symbol is read from the objects).
    """
    from compataudit.probes.elf import ElfError, ElfFile

    where = (cache_dir or default_cache_dir()) if use_cache else None
    cache = FactCache(where, {p.location or "" for p in packages})
    found: list[tuple[str, str]] = []
    torchish = bool(TORCH_SYMBOL_RE.search(symbol))
    for pkg in packages:
        if not pkg.location or is_framework_distribution(pkg.name):
            continue
        dist_info = _dist_info_dirs(pkg.location).get(pkg.name)
        if dist_info is None:
            continue
        for rel in _linking_objects(pkg.location, dist_info, cache):
            path = os.path.join(pkg.location, rel)
            key = file_key(path)
            facts = cache.get(key) if key else None
            if torchish and isinstance(facts, dict) and "torch_symbols" in facts:
                if symbol in facts["torch_symbols"]:
                    found.append((pkg.name, rel))
                continue
            try:
                with ElfFile(path) as elf:
                    if any(s.name == symbol for s in elf.undefined_symbols()):
                        found.append((pkg.name, rel))
            except (OSError, ElfError):
                continue
    cache.save()
    return found
