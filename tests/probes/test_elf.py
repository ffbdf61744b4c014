"""The ELF reader on objects built here with the C compiler, and on the real torch libraries."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from compataudit.probes.elf import ElfError, ElfFile, Symbol, gnu_hash, sysv_hash
from tests.elf_builders import ATEN_FUNCTION, C10_FUNCTION, C10_SYMBOL, build_library, needs_cc

pytestmark = needs_cc


def test_reads_needed_soname_and_runpath(tmp_path: Path) -> None:
    base = build_library(tmp_path / "libbase.so", exports=["base_fn"], soname="libbase.so")
    ext = build_library(
        tmp_path / "ext.so",
        imports=["base_fn"],
        needed=[base],
        runpath="$ORIGIN/../lib",
        soname="libext.so.1",
    )
    with ElfFile(ext) as elf:
        info = elf.dynamic()
    assert info.soname == "libext.so.1"
    assert "libbase.so" in info.needed
    assert info.runpath == ("$ORIGIN/../lib",)
    assert info.rpath == ()
    assert info.elf_class == 2


def test_rpath_is_not_runpath(tmp_path: Path) -> None:
    ext = build_library(tmp_path / "ext.so", rpath="/opt/a:/opt/b")
    with ElfFile(ext) as elf:
        info = elf.dynamic()
    assert (info.rpath, info.runpath) == (("/opt/a", "/opt/b"), ())


def test_undefined_symbols_with_weak_flag(tmp_path: Path) -> None:
    ext = build_library(tmp_path / "ext.so", imports=[C10_FUNCTION], weak_imports=["maybe_there"])
    with ElfFile(ext) as elf:
        found = {s.name: s.weak for s in elf.undefined_symbols()}
    assert found[C10_FUNCTION] is False
    assert found["maybe_there"] is True


@pytest.mark.parametrize("style", ["gnu", "sysv", "both"])
def test_export_lookup_through_each_hash_table(tmp_path: Path, style: str) -> None:
    names = [C10_FUNCTION, ATEN_FUNCTION] + [f"_ZN3c104fill{i}Ev" for i in range(300)]
    lib = build_library(tmp_path / "lib.so", exports=names, data_exports=[C10_SYMBOL], hash_style=style)
    with ElfFile(lib) as elf:
        exports = elf.exports()
        assert all(name in exports for name in names)
        assert C10_SYMBOL in exports
        assert "_ZN3c104fill300Ev" not in exports
        assert "_ZN5torch3jit11parseSchemaEv" not in exports
        assert "use_imports" not in exports


def test_an_undefined_symbol_is_not_an_export(tmp_path: Path) -> None:
    lib = build_library(tmp_path / "lib.so", imports=[C10_FUNCTION], exports=["own"])
    with ElfFile(lib) as elf:
        exports = elf.exports()
        assert "own" in exports
        assert C10_FUNCTION not in exports


def test_hashes_match_the_abi_examples() -> None:
    # Values from the GNU hash and System V ABI definitions (dl_new_hash / elf_hash).
    assert gnu_hash(b"") == 5381
    assert gnu_hash(b"printf") == 0x156B2BB8
    assert sysv_hash(b"printf") == 0x077905A6
    assert Symbol("printf").gnu == 0x156B2BB8


def test_not_elf_and_truncated_files_are_errors(tmp_path: Path) -> None:
    text = tmp_path / "notes.so"
    text.write_text("not a library")
    with pytest.raises(ElfError):
        ElfFile(text)
    empty = tmp_path / "empty.so"
    empty.write_bytes(b"")
    with pytest.raises(ElfError):
        ElfFile(empty)
    stub = tmp_path / "stub.so"
    stub.write_bytes(b"\x7fELF\x02\x01\x01" + b"\0" * 9)
    with pytest.raises(ElfError):
        ElfFile(stub)


def test_agrees_with_readelf_on_the_real_torch() -> None:
    """Every c10 symbol libtorch_python imports is found in the real torch's libraries."""
    spec = next((Path(p) / "torch" / "lib" for p in sys.path if (Path(p) / "torch" / "lib").is_dir()), None)
    if spec is None or not (spec / "libtorch_python.so").is_file():
        pytest.skip("torch is not installed")
    readelf = subprocess.run(
        ["readelf", "--dyn-syms", "-W", str(spec / "libtorch_python.so")], capture_output=True, text=True
    )
    if readelf.returncode != 0:
        pytest.skip("no readelf")
    wanted = {
        line.split()[7].split("@")[0]
        for line in readelf.stdout.splitlines()
        if len(line.split()) >= 8 and line.split()[6] == "UND" and line.split()[4] == "GLOBAL"
    }
    with ElfFile(spec / "libtorch_python.so") as elf:
        ours = {s.name for s in elf.undefined_symbols() if not s.weak}
    assert ours == wanted
    c10 = sorted(n for n in ours if n.startswith("_ZN3c10"))[:200]
    assert c10
    libs = [ElfFile(spec / name) for name in ("libc10.so", "libtorch_cpu.so", "libtorch.so")]
    try:
        lookups = [lib.exports() for lib in libs]
        assert all(any(name in lookup for lookup in lookups) for name in c10)
        assert not any("_ZN3c10NotThereEv" in lookup for lookup in lookups)
    finally:
        for lib in libs:
            lib.close()
