"""tools/wheel_fatbin.py on synthetic fat binaries laid out as CUDA libraries hold them."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

from tools import wheel_fatbin


def _entry(kind: int, arch: int, payload: bytes) -> bytes:
    header = struct.pack("<HHIQ", kind, 0x0101, 64, len(payload))
    header += struct.pack("<IIII", 0, len(payload), 0, 0)[:12]  # bytes 16..28
    header += struct.pack("<I", arch)
    return header.ljust(64, b"\0") + payload


def _fatbin(*entries: bytes) -> bytes:
    body = b"".join(entries)
    return struct.pack("<IHHQ", 0xBA55ED50, 1, 16, len(body)) + body


PTX = b".version 8.3\n.target sm_90\n.address_size 64\n"
LIBRARY = (
    b"\x7fELF junk"
    + _fatbin(_entry(2, 80, b"\0" * 32), _entry(2, 89, b"\0" * 16), _entry(1, 90, PTX))
    + b"more junk"
    + struct.pack("<I", 0xBA55ED50)  # a stray magic with no valid header
    + b"\xff" * 12
    + _fatbin(_entry(2, 80, b"\0" * 8), _entry(7, 99, b""))  # a bad second entry ends the walk
)


def test_fat_binary_entries_per_kind_and_architecture() -> None:
    found = wheel_fatbin.fatbin_entries(LIBRARY)
    assert found == {("sass", 80): 2, ("sass", 89): 1, ("ptx", 90): 1}
    assert wheel_fatbin.ptx_texts(LIBRARY) == {"8.3 sm_90": 1}
    assert wheel_fatbin.fatbin_entries(b"no device code here") == {}


def test_build_info_literal() -> None:
    # the form of TensorFlow 2.20's generated tensorflow/python/platform/build_info.py
    text = (
        '"""Auto-generated module providing information about the build."""\nimport collections\n\n'
        "build_info = collections.OrderedDict([('cpu_compiler', 'clang 18'), "
        "('cuda_compute_capabilities', ['sm_60', 'sm_70', 'sm_80', 'sm_89', 'compute_90']), "
        "('cuda_version', '12.5.1'), ('cudnn_version', '9'), ('is_cuda_build', True)])\n"
    )
    info = wheel_fatbin.build_info(text)
    assert info["cuda_version"] == "12.5.1"
    assert info["cuda_compute_capabilities"][-1] == "compute_90"


def test_read_wheel(tmp_path: Path) -> None:
    wheel = tmp_path / "tensorflow-9.9.9-cp312-cp312-manylinux_2_27_x86_64.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("tensorflow/libtensorflow_framework.so.2", LIBRARY)
        archive.writestr(
            "tensorflow/python/platform/build_info.py", "x = dict([('cuda_version', '12.5.1')])\n"
        )
        archive.writestr("tensorflow/__init__.py", "")
    record = wheel_fatbin.read_wheel(wheel)
    assert record["sass"] == [80, 89] and record["ptx"] == [90]
    assert record["build_info"] == {"cuda_version": "12.5.1"}
    assert record["libraries"] == ["tensorflow/libtensorflow_framework.so.2"]
    assert len(record["sha256"]) == 64
