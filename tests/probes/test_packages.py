"""The dist-info scanner on a fake site-packages, and on the real one."""

from __future__ import annotations

import re
import sys
import sysconfig
from pathlib import Path

import pytest

from compataudit.probes.packages import (
    PACKAGE_HEADERS,
    _modules_from_record,
    read_headers,
    scan_distributions,
)


def _dist(
    site: Path,
    name: str,
    version: str | None,
    *,
    requires: tuple[str, ...] = (),
    module: str | None = None,
    metadata: bool = True,
    record: str | None = None,
) -> None:
    info = site / f"{name.replace('-', '_')}-{version or '0'}.dist-info"
    info.mkdir(parents=True)
    if metadata:
        lines = ["Metadata-Version: 2.1", f"Name: {name}"]
        if version is not None:
            lines.append(f"Version: {version}")
        lines += [f"Requires-Dist: {r}" for r in requires]
        (info / "METADATA").write_text("\n".join(lines) + "\n\nLong description: Version: 9.9\n")
    if record is not None:
        (info / "RECORD").write_text(record)
    if module:
        (site / module).mkdir(exist_ok=True)
        (site / module / "__init__.py").write_text("")


def test_reads_versions_requirements_and_stops_at_the_body(tmp_path: Path) -> None:
    _dist(tmp_path, "torchvision", "0.20.1+cu124", requires=("torch==2.5.1", "numpy"), module="torchvision")
    (pkg,) = scan_distributions([str(tmp_path)])
    assert (pkg.name, pkg.version) == ("torchvision", "0.20.1+cu124")
    assert pkg.requires == ("torch==2.5.1", "numpy")
    assert pkg.problem is None and pkg.location == str(tmp_path)


def test_broken_installs_become_problems(tmp_path: Path) -> None:
    _dist(tmp_path, "keras", None, module="keras")  # no Version
    _dist(tmp_path, "torch", "2.4.0")  # dist-info left behind, torch/ gone
    _dist(tmp_path, "jax", "0.4.30", metadata=False)  # no METADATA at all
    problems = {p.name: p.problem for p in scan_distributions([str(tmp_path)])}
    assert problems["keras"] == "metadata has no Version"
    assert "files are missing" in (problems["torch"] or "")
    assert "cannot read METADATA" in (problems["jax"] or "")


def test_odd_versions_are_kept_verbatim(tmp_path: Path) -> None:
    for name, version in [
        ("torch", "2.4.0a0+git59b3fa1"),
        ("numpy", "1.13.1.post2"),
        ("keras", "not a version"),
    ]:
        _dist(tmp_path, name, version, module=name)
    versions = {p.name: p.version for p in scan_distributions([str(tmp_path)])}
    assert versions == {"torch": "2.4.0a0+git59b3fa1", "numpy": "1.13.1.post2", "keras": "not a version"}


def test_first_path_entry_wins(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    _dist(a, "numpy", "2.0.0", module="numpy")
    _dist(b, "numpy", "1.26.4", module="numpy")
    (pkg,) = scan_distributions([str(a), str(b), str(tmp_path / "missing")])
    assert pkg.version == "2.0.0"


def test_modules_from_record(tmp_path: Path) -> None:
    record = (
        "tensorflow/__init__.py,sha256=x,1\ntensorflow/python/x.py,,\n"
        "tensorflow_cpu-2.21.0.dist-info/METADATA,,\n../../bin/tool,,\nsix.py,,\n"
        "_cffi.cpython-311-x86_64-linux-gnu.so,,\n"
    )
    _dist(tmp_path, "tensorflow-cpu", "2.21.0", record=record, module="tensorflow")
    (pkg,) = scan_distributions([str(tmp_path)])
    assert pkg.modules == ("tensorflow", "six", "_cffi")


def _record_names_line_by_line(text: str) -> set[str]:
    """The reference: each RECORD line on its own - a top-level directory, or a top-level
    ``.py`` / extension file."""
    names = set()
    for line in text.splitlines():
        path = line.split(",", 1)[0]
        head, sep, _ = path.partition("/")
        if sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", head):
            names.add(head)
        elif not sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*\.(py|so|pyd|[^,/]*\.(so|pyd))", path):
            names.add(path.split(".", 1)[0])
    return {n for n in names if not n.endswith("__pycache__")}


@pytest.mark.parametrize(
    "record",
    [
        "torch/a.py,,\ntorch/b.py,,\ntorchgen/c.py,,\ntorch/d.py,,\nfunctorch/e.py,,",  # no final newline
        "a/x,,\nb/y,,\na/z,,\n",  # a directory's lines interleaved with another's
        "__pycache__/six.cpython-311.pyc,,\nsix.py,,\n",
        "pkg-1.0.dist-info/RECORD,,\n../../bin/tool,,\nx.pth,,\nmod.cpython-311-x86_64-linux-gnu.so,,\n",
        "\n\nlonely/,,\n",
        "torch/\ntorch",
    ],
)
def test_record_names_match_a_line_by_line_reading(tmp_path: Path, record: str) -> None:
    path = tmp_path / "RECORD"
    path.write_text(record)
    assert set(_modules_from_record(path)) == _record_names_line_by_line(record)


def test_record_names_on_every_installed_wheel() -> None:
    """Every RECORD of this interpreter's own site-packages reads the same both ways."""
    records = sorted(Path(sysconfig.get_paths()["purelib"]).glob("*.dist-info/RECORD"))
    assert records  # pytest itself is installed here
    for path in records:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert set(_modules_from_record(path)) == _record_names_line_by_line(text), path


def test_egg_info_requirements_sections(tmp_path: Path) -> None:
    egg = tmp_path / "legacy.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: legacy\nVersion: 1.0\n")
    (egg / "requires.txt").write_text('numpy>=1.20\n\n[gpu]\ncupy\n\n[:sys_platform == "linux"]\nfoo\n')
    (pkg,) = scan_distributions([str(tmp_path)])
    assert pkg.requires == ("numpy>=1.20", 'cupy; extra == "gpu"', 'foo; (sys_platform == "linux")')


def test_folded_header_lines(tmp_path: Path) -> None:
    path = tmp_path / "METADATA"
    path.write_text("Name: x\nSummary: one\n  two\nVersion: 1\n\nbody\n")
    assert read_headers(path) == {"name": ["x"], "summary": ["one two"], "version": ["1"]}


def test_package_headers_read_as_the_full_reading_does(tmp_path: Path) -> None:
    folded = tmp_path / "FOLDED"
    folded.write_text(
        "Name: x\r\nVersion: 1\r\nREQUIRES-DIST: a>=1;\r\n  python_version < '3.12'\r\n"
        "License: MIT\r\n  and more\r\nRequires-Python :>=3.10\r\n\r\nRequires-Dist: body\r\n"
    )
    records = [folded, *Path(sysconfig.get_paths()["purelib"]).glob("*.dist-info/METADATA")]
    for path in records:
        full = read_headers(path)
        assert read_headers(path, only_package=True) == {
            k: v for k, v in full.items() if k in PACKAGE_HEADERS
        }, path
    assert read_headers(folded, only_package=True)["requires-dist"] == ["a>=1; python_version < '3.12'"]


def test_real_environment_has_the_stack() -> None:
    names = {p.name: p for p in scan_distributions(sys.path)}
    assert "packaging" in names and names["packaging"].problem is None
    assert all(p.version for p in names.values() if p.problem is None)


def test_two_dist_infos_of_one_distribution_are_named(tmp_path: Path) -> None:
    # torch 2.5.1 installed over 2.4.0 whose uninstall stopped half way
    _dist(tmp_path, "torch", "2.4.0", module="torch")
    _dist(tmp_path, "torch", "2.5.1", module="torch")
    _dist(tmp_path, "numpy", "2.1.0", module="numpy")
    packages = {p.name: p for p in scan_distributions([str(tmp_path)])}
    assert packages["torch"].version == "2.5.1"
    assert packages["torch"].duplicates == ("torch-2.4.0.dist-info",)
    assert packages["numpy"].duplicates == ()


def test_one_version_recorded_twice_is_one_install(tmp_path: Path) -> None:
    # Debian 12's python3-cryptography (dpkg -L) ships both records of one build in
    # /usr/lib/python3/dist-packages: cryptography-38.0.4.dist-info and cryptography.egg-info.
    headers = "Metadata-Version: 2.1\nName: cryptography\nVersion: 38.0.4\n"
    info = tmp_path / "cryptography-38.0.4.dist-info"
    egg = tmp_path / "cryptography.egg-info"
    for folder, files in ((info, ("METADATA", "top_level.txt")), (egg, ("PKG-INFO", "top_level.txt"))):
        folder.mkdir()
        (folder / files[0]).write_text(headers)
        (folder / files[1]).write_text("cryptography\n")
    (egg / "requires.txt").write_text("\n[ssh]\nbcrypt>=3.1.5\n")
    (tmp_path / "cryptography").mkdir()
    (tmp_path / "cryptography" / "__init__.py").write_text("")
    packages = {p.name: p for p in scan_distributions([str(tmp_path)])}
    assert packages["cryptography"].version == "38.0.4"
    assert packages["cryptography"].duplicates == ()  # so no PKG006 telling to rm a dpkg file


def test_an_editable_install_is_not_broken(tmp_path: Path) -> None:
    _dist(tmp_path, "torch", "2.6.0a0+git1234")  # `pip install -e .` of a torch checkout
    info = tmp_path / "torch-2.6.0a0+git1234.dist-info"
    (info / "direct_url.json").write_text('{"url": "file:///src/pytorch", "dir_info": {"editable": true}}')
    _dist(tmp_path, "jax", "0.4.30")  # not editable, and its files are gone
    problems = {p.name: p.problem for p in scan_distributions([str(tmp_path)])}
    assert problems["torch"] is None
    assert problems["jax"] is not None and "files are missing" in problems["jax"]


def test_a_names_filter_reads_only_those(tmp_path: Path) -> None:
    _dist(tmp_path, "keras", "3.15.1", module="keras")
    _dist(tmp_path, "tf-keras", "2.20.1", module="tf_keras")
    _dist(tmp_path, "torch", "2.4.0")  # broken, and not asked for: never opened
    (tmp_path / "torch-2.4.0.dist-info" / "METADATA").write_bytes(b"\xff\xfe not metadata")
    found = scan_distributions([str(tmp_path)], names={"keras", "tf-keras"})
    assert [(p.name, p.version) for p in found] == [("keras", "3.15.1"), ("tf-keras", "2.20.1")]
    assert {p.name for p in scan_distributions([str(tmp_path)])} == {"keras", "tf-keras", "torch"}
