"""Real ELF shared objects for the tests, built with the system C compiler.

C++ names are given with asm labels (``void f(void) __asm__("_ZN3c103fooEv")``), so
a plain C compiler produces the same dynamic symbols a C++ build of torch or of an
extension would: exported ones in the fake torch, undefined ones in the extension.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

CC = shutil.which("cc") or shutil.which("gcc")
needs_cc = pytest.mark.skipif(CC is None, reason="no C compiler")

# Real torch/c10 names (from torch 2.x's libc10.so / libtorch_cpu.so).
C10_SYMBOL = "_ZN3c1019UndefinedTensorImpl10_singletonE"  # c10::UndefinedTensorImpl::_singleton
C10_FUNCTION = "_ZN3c106detail14torchCheckFailEPKcS2_jS2_"  # c10::detail::torchCheckFail(...)
ATEN_FUNCTION = "_ZN2at4_ops4view4callERKNS_6TensorEN3c108ArrayRefINS5_6SymIntEEE"
# torch::jit::parseSchema(std::string const&) as torch < 2.6 exported it - gone since.
OLD_TORCH_FUNCTION = "_ZN5torch3jit11parseSchemaERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE"


def _label(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)


def build_library(
    path: Path,
    *,
    exports: Iterable[str] = (),
    data_exports: Iterable[str] = (),
    imports: Iterable[str] = (),
    weak_imports: Iterable[str] = (),
    needed: Sequence[Path] = (),
    soname: str | None = None,
    rpath: str | None = None,
    runpath: str | None = None,
    python_module: str | None = None,
    hash_style: str = "gnu",
) -> Path:
    """Compile a shared object that defines ``exports`` and calls ``imports``."""
    assert CC is not None
    lines = [f'void f_{_label(n)}(void) __asm__("{n}");\nvoid f_{_label(n)}(void) {{}}' for n in exports]
    lines += [f'int d_{_label(name)} __asm__("{name}") = 1;' for name in data_exports]
    calls = []
    for name in imports:
        lines.append(f'extern void i_{_label(name)}(void) __asm__("{name}");')
        calls.append(f"i_{_label(name)}();")
    for name in weak_imports:
        lines.append(f'extern void w_{_label(name)}(void) __asm__("{name}") __attribute__((weak));')
        calls.append(f"if (w_{_label(name)}) w_{_label(name)}();")
    if calls:
        lines.append("void use_imports(void) {" + " ".join(calls) + "}")
    if python_module:
        lines.append(f"void *PyInit_{python_module}(void) {{ return 0; }}")
    path.parent.mkdir(parents=True, exist_ok=True)
    source = path.with_suffix(".c") if path.suffix == ".so" else path.parent / (path.name + ".c")
    source.write_text("\n".join(lines) + "\n")
    cmd = [CC, "-shared", "-fPIC", "-o", str(path), str(source), f"-Wl,--hash-style={hash_style}"]
    if soname:
        cmd.append(f"-Wl,-soname,{soname}")
    if rpath is not None:
        cmd += ["-Wl,--disable-new-dtags", f"-Wl,-rpath,{rpath}"]
    if runpath is not None:
        cmd += ["-Wl,--enable-new-dtags", f"-Wl,-rpath,{runpath}"]
    if needed:
        cmd.append("-Wl,--no-as-needed")
        for lib in needed:
            cmd += [f"-L{lib.parent}", f"-l:{lib.name}"]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)
    source.unlink()
    return path


def dist_info(
    site: Path, name: str, version: str, files: Iterable[str], requires: Iterable[str] = ()
) -> Path:
    """A dist-info folder whose RECORD lists ``files`` (relative to ``site``)."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    meta = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    meta += [f"Requires-Dist: {r}" for r in requires]
    (info / "METADATA").write_text("\n".join(meta) + "\n")
    record = [f"{f},sha256=x,1" for f in files] + [f"{info.name}/METADATA,,", f"{info.name}/RECORD,,"]
    (info / "RECORD").write_text("\n".join(record) + "\n")
    return info


def fake_torch(site: Path, version: str = "2.13.0", *, cuda: str | None = None) -> Path:
    """A torch distribution whose lib folder exports a few real c10/ATen names."""
    lib = site / "torch" / "lib"
    build_library(lib / "libc10.so", exports=[C10_FUNCTION], data_exports=[C10_SYMBOL], soname="libc10.so")
    build_library(
        lib / "libtorch_cpu.so", exports=[ATEN_FUNCTION], soname="libtorch_cpu.so", needed=[lib / "libc10.so"]
    )
    files = ["torch/lib/libc10.so", "torch/lib/libtorch_cpu.so"]
    if cuda:
        build_library(
            lib / "libc10_cuda.so", exports=["_ZN3c104cuda9device_countEv"], soname="libc10_cuda.so"
        )
        build_library(lib / "libtorch_cuda.so", soname="libtorch_cuda.so")
        files += ["torch/lib/libc10_cuda.so", "torch/lib/libtorch_cuda.so"]
    (site / "torch" / "__init__.py").write_text("")
    cuda_text = repr(cuda) if cuda else "None"
    (site / "torch" / "version.py").write_text(f"__version__ = {version!r}\ncuda = {cuda_text}\n")
    dist_info(site, "torch", version, files)
    return lib
