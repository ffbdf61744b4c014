"""The ld.so search order, on directories and objects built here."""

from __future__ import annotations

import struct
from pathlib import Path

from compataudit.probes.loader import Loader, expand_origin, read_ld_cache


def _lib(directory: Path, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(b"\x7fELF")
    return path


def _loader(**kwargs: object) -> Loader:
    return Loader(default_dirs=(), **kwargs)  # type: ignore[arg-type]


def test_runpath_with_origin(tmp_path: Path) -> None:
    ext = _lib(tmp_path / "pkg", "_C.so")
    lib = _lib(tmp_path / "pkg.libs", "libjpeg.so.8")
    found = _loader().resolve("libjpeg.so.8", str(ext), (), ("$ORIGIN/../pkg.libs",))
    assert found == f"{tmp_path / 'pkg'}/../pkg.libs/libjpeg.so.8"
    assert Path(found or "").resolve() == lib.resolve()
    assert _loader().resolve("libjpeg.so.8", str(ext), (), ("${ORIGIN}/nowhere",)) is None


def test_rpath_counts_only_without_runpath(tmp_path: Path) -> None:
    _lib(tmp_path / "a", "libx.so")
    ext = str(tmp_path / "ext.so")
    assert _loader().resolve("libx.so", ext, (str(tmp_path / "a"),), ())
    # ld.so ignores DT_RPATH when DT_RUNPATH is present
    assert _loader().resolve("libx.so", ext, (str(tmp_path / "a"),), (str(tmp_path / "b"),)) is None


def test_ld_library_path_cache_loaded_and_defaults(tmp_path: Path) -> None:
    ext = str(tmp_path / "ext.so")
    lib = _lib(tmp_path / "lp", "libcudart.so.12")
    assert _loader(ld_library_path=(str(tmp_path / "lp"),)).resolve("libcudart.so.12", ext, (), ()) == str(
        lib
    )
    assert _loader(cache={"libcudart.so.12": (str(lib),)}).resolve("libcudart.so.12", ext, (), ()) == str(lib)
    assert _loader(loaded={"libc10.so": "/t/libc10.so"}).resolve("libc10.so", ext, (), ()) == "/t/libc10.so"
    assert Loader(default_dirs=(str(tmp_path / "lp"),)).resolve("libcudart.so.12", ext, (), ()) == str(lib)
    assert _loader().resolve("libcudart.so.12", ext, (), ()) is None


def test_a_stale_cache_entry_does_not_resolve(tmp_path: Path) -> None:
    loader = _loader(cache={"libgone.so.1": (str(tmp_path / "libgone.so.1"),)})
    assert loader.resolve("libgone.so.1", str(tmp_path / "e.so"), (), ()) is None


def test_expand_origin() -> None:
    assert expand_origin("$ORIGIN/../lib:${ORIGIN}", "/x") == "/x/../lib:/x"


def _cache_file(path: Path, entries: dict[str, str]) -> None:
    """An ld.so.cache in glibc's new format (the layout `ldconfig` writes)."""
    strings = b""
    offsets = []
    header_size = 48 + 24 * len(entries)
    for key, value in entries.items():
        k = header_size + len(strings)
        strings += key.encode() + b"\0"
        v = header_size + len(strings)
        strings += value.encode() + b"\0"
        offsets.append((k, v))
    header = b"glibc-ld.so.cache1.1" + struct.pack("<IIB3xI3I", len(entries), len(strings), 0, 0, 0, 0, 0)
    body = b"".join(struct.pack("<iIIIQ", 0x303, k, v, 0, 0) for k, v in offsets)
    path.write_bytes(header + body + strings)


def test_reads_the_new_cache_format(tmp_path: Path) -> None:
    cache = tmp_path / "ld.so.cache"
    _cache_file(cache, {"libz.so.1": "/lib/x/libz.so.1", "libcudnn.so.9": "/usr/lib/x/libcudnn.so.9"})
    assert read_ld_cache(str(cache)) == {
        "libz.so.1": ("/lib/x/libz.so.1",),
        "libcudnn.so.9": ("/usr/lib/x/libcudnn.so.9",),
    }


def test_unreadable_or_foreign_cache_is_empty(tmp_path: Path) -> None:
    assert read_ld_cache(str(tmp_path / "none")) == {}
    junk = tmp_path / "junk"
    junk.write_bytes(b"ld.so-1.7.0" + b"\0" * 40)
    assert read_ld_cache(str(junk)) == {}
    truncated = tmp_path / "trunc"
    truncated.write_bytes(b"glibc-ld.so.cache1.1" + struct.pack("<I", 50))
    assert read_ld_cache(str(truncated)) == {}


def test_the_real_cache_agrees_with_ldconfig() -> None:
    import shutil
    import subprocess

    ldconfig = shutil.which("ldconfig") or ("/sbin/ldconfig" if Path("/sbin/ldconfig").exists() else None)
    if ldconfig is None or not Path("/etc/ld.so.cache").exists():
        import pytest

        pytest.skip("no ldconfig / ld.so.cache")
    out = subprocess.run([ldconfig, "-p"], capture_output=True, text=True).stdout
    theirs = {line.split(" (")[0].strip() for line in out.splitlines()[1:] if " => " in line}
    assert set(read_ld_cache()) == theirs
