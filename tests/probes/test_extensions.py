"""The extension probe on site-packages folders holding real ELF files built here."""

from __future__ import annotations

import json
from pathlib import Path

from compataudit.model import ExtensionObject
from compataudit.probes.builds import probe_builds
from compataudit.probes.extensions import probe_extensions, shared_objects, who_imports
from compataudit.probes.packages import scan_distributions
from tests.elf_builders import (
    ATEN_FUNCTION,
    C10_FUNCTION,
    C10_SYMBOL,
    OLD_TORCH_FUNCTION,
    build_library,
    dist_info,
    fake_torch,
    needs_cc,
)

pytestmark = needs_cc


def _probe(
    site: Path, cache: Path | None = None, environ: dict[str, str] | None = None
) -> dict[str, ExtensionObject]:
    packages = scan_distributions([str(site)])
    builds = probe_builds(packages)
    cuda = next((b.cuda for b in builds if b.framework == "torch"), None)
    found = probe_extensions(
        packages,
        environ=environ or {},
        cache_dir=cache,
        use_cache=cache is not None,
        torch_cuda=cuda,
    )
    return {f"{o.distribution}:{o.path}": o for o in found}


def _extension(site: Path, name: str, version: str, imports: list[str], **kwargs: object) -> str:
    lib = site / "torch" / "lib"
    rel = f"{name}/_C.so"
    build_library(
        site / rel,
        imports=imports,
        needed=[lib / "libc10.so", lib / "libtorch_cpu.so"],
        python_module="_C",
        **kwargs,  # type: ignore[arg-type]
    )
    dist_info(site, name, version, [rel, f"{name}/__init__.py"])
    return rel


def test_matching_extension_has_no_missing_symbols(tmp_path: Path) -> None:
    fake_torch(tmp_path)
    _extension(tmp_path, "goodext", "1.0", [C10_FUNCTION, ATEN_FUNCTION, C10_SYMBOL])
    (obj,) = _probe(tmp_path).values()
    assert obj.distribution == "goodext"
    assert obj.links == ("libc10.so", "libtorch_cpu.so")
    assert obj.unresolved == ()
    assert obj.missing_count == 0
    assert obj.framework == "torch 2.13.0"
    assert obj.python_module is True


def test_extension_built_against_another_torch_names_the_symbol(tmp_path: Path) -> None:
    fake_torch(tmp_path)
    _extension(tmp_path, "oldext", "0.0.28", [C10_FUNCTION, OLD_TORCH_FUNCTION])
    (obj,) = _probe(tmp_path).values()
    assert obj.missing_symbols == (OLD_TORCH_FUNCTION,)
    assert obj.missing_count == 1
    assert obj.unresolved == ()


def test_symbols_from_the_extensions_own_library_are_not_missing(tmp_path: Path) -> None:
    fake_torch(tmp_path)
    own = build_library(tmp_path / "myext" / "libmyext_ops.so", exports=["_ZN5torch6myext2opEv"])
    build_library(
        tmp_path / "myext" / "_C.so",
        imports=[C10_FUNCTION, "_ZN5torch6myext2opEv"],
        needed=[tmp_path / "torch/lib/libc10.so", own],
        runpath="$ORIGIN",
    )
    dist_info(tmp_path, "myext", "1.0", ["myext/_C.so", "myext/libmyext_ops.so"])
    found = _probe(tmp_path)
    assert found["myext:myext/_C.so"].missing_count == 0
    assert found["myext:myext/_C.so"].unresolved == ()


def test_unresolved_cuda_library_and_runpath_origin(tmp_path: Path) -> None:
    fake_torch(tmp_path)
    elsewhere = build_library(tmp_path / "build" / "libcudart.so.12", soname="libcudart.so.12")
    helper = build_library(tmp_path / "onnxish.libs" / "libhelper.so", soname="libhelper.so")
    build_library(
        tmp_path / "onnxish" / "providers_cuda.so",
        needed=[elsewhere, helper],
        runpath="$ORIGIN/../onnxish.libs",
    )
    dist_info(tmp_path, "onnxish", "1.0", ["onnxish/providers_cuda.so", "onnxish.libs/libhelper.so"])
    (obj,) = _probe(tmp_path).values()
    assert obj.unresolved == ("libcudart.so.12",)  # libhelper.so found through $ORIGIN
    assert obj.python_module is False
    # LD_LIBRARY_PATH is searched too
    (obj,) = _probe(tmp_path, environ={"LD_LIBRARY_PATH": str(elsewhere.parent)}).values()
    assert obj.unresolved == ()
    (tmp_path / "onnxish.libs" / "libhelper.so").unlink()
    (obj,) = _probe(tmp_path, environ={"LD_LIBRARY_PATH": str(elsewhere.parent)}).values()
    assert obj.unresolved == ("libhelper.so",)


def test_cuda_extension_beside_a_cpu_torch_misses_torch_cuda(tmp_path: Path) -> None:
    fake_torch(tmp_path)
    cuda_torch = tmp_path / "other"
    fake_torch(cuda_torch, cuda="12.4")
    build_library(
        tmp_path / "xf" / "_C.so",
        imports=[C10_FUNCTION],
        needed=[cuda_torch / "torch/lib/libc10.so", cuda_torch / "torch/lib/libc10_cuda.so"],
        python_module="_C",
    )
    dist_info(tmp_path, "xf", "1.0", ["xf/_C.so"])
    (obj,) = _probe(tmp_path).values()
    assert obj.unresolved == ("libc10_cuda.so",)
    # what it imports from libc10_cuda.so is not "another torch": EXT001 says what is wrong
    assert (obj.missing_count, obj.framework) == (0, None)
    assert obj.detail == "torch symbols not checked: libc10_cuda.so is not in the installed torch"


def test_only_the_cuda_variant_torch_loads_is_judged(tmp_path: Path) -> None:
    fake_torch(tmp_path, version="2.5.1+cu121", cuda="12.1")
    variants = []
    for tag, soname in (("118", "libcudart.so.11.0"), ("121", "libcudart.so.12"), ("124", "libcudart.so.12")):
        dep = build_library(tmp_path / "build" / tag / soname, soname=soname)
        rel = f"bnb/libbnb_cuda{tag}.so"
        build_library(tmp_path / rel, needed=[dep])
        variants.append(rel)
    dist_info(tmp_path, "bnb", "0.45.0", variants)
    found = _probe(tmp_path)
    assert list(found) == ["bnb:bnb/libbnb_cuda121.so"]


def test_objects_that_link_nothing_of_interest_are_left_out(tmp_path: Path) -> None:
    fake_torch(tmp_path)
    build_library(tmp_path / "plain" / "_speedups.so", python_module="_speedups")
    dist_info(tmp_path, "plain", "1.0", ["plain/_speedups.so"])
    assert _probe(tmp_path) == {}


def test_torch_itself_is_not_an_extension_and_no_torch_means_no_symbol_verdict(tmp_path: Path) -> None:
    fake_torch(tmp_path)
    assert _probe(tmp_path) == {}
    other = tmp_path / "other"
    lib = fake_torch(other)
    build_library(tmp_path / "solo" / "_C.so", imports=[OLD_TORCH_FUNCTION], needed=[lib / "libc10.so"])
    dist_info(tmp_path, "solo", "1.0", ["solo/_C.so"])
    (tmp_path / "torch" / "lib" / "libc10.so").unlink()
    (obj,) = _probe(tmp_path).values()
    assert obj.unresolved == ("libc10.so",)


def test_cache_is_keyed_by_size_and_mtime(tmp_path: Path) -> None:
    site, cache = tmp_path / "site", tmp_path / "cache"
    fake_torch(site)
    rel = _extension(site, "ext", "1.0", [C10_FUNCTION])
    assert _probe(site, cache)[f"ext:{rel}"].missing_count == 0
    (entry,) = cache.iterdir()
    assert any(str(site / rel) in key for key in json.loads(entry.read_text()))
    assert _probe(site, cache)[f"ext:{rel}"].missing_count == 0  # from the cache
    _extension(site, "ext", "1.0", [C10_FUNCTION, OLD_TORCH_FUNCTION])  # rebuilt in place
    assert _probe(site, cache)[f"ext:{rel}"].missing_count == 1
    entry.write_text("{not json")
    assert _probe(site, cache)[f"ext:{rel}"].missing_count == 1


def test_record_lines() -> None:
    record = (
        "pkg/_C.cpython-311-x86_64-linux-gnu.so,sha256=a,10\n"
        "pkg.libs/libjpeg-1a2b.so.62.3.0,sha256=b,5\n"
        "pkg/notes.so.txt,sha256=c,1\n"
        "pkg/__init__.py,sha256=d,1\n"
        "../../bin/tool.so,,\n"
    )
    assert shared_objects(record) == [
        "pkg/_C.cpython-311-x86_64-linux-gnu.so",
        "pkg.libs/libjpeg-1a2b.so.62.3.0",
    ]


def test_who_imports_a_symbol(tmp_path: Path) -> None:
    site, cache = tmp_path / "site", tmp_path / "cache"
    fake_torch(site)
    _extension(site, "oldext", "0.1", [C10_FUNCTION, OLD_TORCH_FUNCTION])
    _extension(site, "newext", "0.2", [C10_FUNCTION])
    packages = scan_distributions([str(site)])
    assert who_imports(packages, OLD_TORCH_FUNCTION, cache_dir=cache) == [("oldext", "oldext/_C.so")]
    both = who_imports(packages, C10_FUNCTION, cache_dir=cache)
    assert sorted(both) == [("newext", "newext/_C.so"), ("oldext", "oldext/_C.so")]
    assert who_imports(packages, "_ZN3c107NowhereEv", use_cache=False) == []


def test_torch_libraries_outside_torch_lib_are_searched_like_ld_so(tmp_path: Path) -> None:
    """conda-forge's libtorch lives in $PREFIX/lib, not in torch/lib: no false EXT002 there."""
    site, prefix_lib = tmp_path / "site", tmp_path / "prefix" / "lib"
    (site / "torch" / "lib").mkdir(parents=True)
    (site / "torch" / "__init__.py").write_text("")
    build_library(site / "torch" / "lib" / "libtorch_python.so", soname="libtorch_python.so")
    dist_info(site, "torch", "2.13.0", ["torch/__init__.py", "torch/lib/libtorch_python.so"])
    c10 = build_library(prefix_lib / "libc10.so", exports=[C10_FUNCTION], soname="libc10.so")
    for name, imports in (("good", [C10_FUNCTION]), ("stale", [C10_FUNCTION, OLD_TORCH_FUNCTION])):
        build_library(site / name / "_C.so", imports=imports, needed=[c10], runpath=str(prefix_lib))
        dist_info(site, name, "1.0", [f"{name}/_C.so"])
    found = _probe(site)
    assert found["good:good/_C.so"].missing_count == 0
    assert found["stale:stale/_C.so"].missing_symbols == (OLD_TORCH_FUNCTION,)
