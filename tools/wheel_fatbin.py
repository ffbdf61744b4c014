"""Read the GPU code a published TensorFlow wheel ships (maintainer tool).

Not imported by compataudit. A CUDA library keeps its device code in fat binaries: a
header (magic ``0xBA55ED50``, header size, size) and entries, each a machine-code image
(SASS, ``sm_XY``) or PTX (``compute_XY``) for one architecture. This walks every shared
library in a wheel, counts the entries per kind and architecture, and reads the wheel's
``tensorflow/python/platform/build_info.py`` (the CUDA, cuDNN and compute capabilities it
was built with), without importing anything from it. Prints one JSON object per wheel to
record in ``matrices/recorded/tensorflow_wheels.json``::

    env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null python -m pip download tensorflow==2.20.0 \\
        --no-deps --only-binary=:all: --python-version 3.12 --platform manylinux_2_17_x86_64 -d W
    python tools/wheel_fatbin.py W/tensorflow-2.20.0-*.whl
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import struct
import sys
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

MAGIC = struct.pack("<I", 0xBA55ED50)
_HEADER = struct.Struct("<IHHQ")  # magic, version, header size (16), size of the entries
_ENTRY = struct.Struct("<HHIQ")  # kind (1 PTX, 2 SASS), version, header size, padded payload
_ENTRY_ARCH_AT = 28  # offset of the architecture (e.g. 90) within an entry header
KINDS = {1: "ptx", 2: "sass"}
# uncompressed PTX text names its ISA version and target: ".version 8.3\n.target sm_90"
PTX_TEXT = re.compile(rb"\.version (\d+\.\d+)\s+\.target (sm_\d+[a-z]?)")


def ptx_texts(data: bytes) -> Counter[str]:
    """``"8.3 sm_90"`` -> how many uncompressed PTX modules of that ISA version and target."""
    return Counter(f"{m.group(1).decode()} {m.group(2).decode()}" for m in PTX_TEXT.finditer(data))


def fatbin_entries(data: bytes) -> Counter[tuple[str, int]]:
    """(kind, architecture) -> number of images, over every fat binary in ``data``."""
    found: Counter[tuple[str, int]] = Counter()
    pos = data.find(MAGIC)
    while pos >= 0:
        end = pos + 4
        if pos + _HEADER.size <= len(data):
            _magic, _version, header, size = _HEADER.unpack_from(data, pos)
            if header == _HEADER.size and 0 < size <= len(data) - pos - header:
                end = pos + header + size
                found += _walk(data, pos + header, end)
        pos = data.find(MAGIC, end)
    return found


def _walk(data: bytes, entry: int, end: int) -> Counter[tuple[str, int]]:
    found: Counter[tuple[str, int]] = Counter()
    while entry + 40 <= end:
        kind, _version, header, payload = _ENTRY.unpack_from(data, entry)
        if kind not in KINDS or not 40 <= header <= 256:
            break  # not an entry header: stop this fat binary, keep what was read
        (arch,) = struct.unpack_from("<I", data, entry + _ENTRY_ARCH_AT)
        found[(KINDS[kind], arch)] += 1
        entry += header + payload
    return found


def build_info(text: str) -> dict[str, Any]:
    """The ``OrderedDict([...])`` literal of TensorFlow's generated ``build_info.py``."""
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.List):
            pairs = ast.literal_eval(node.args[0])
            return {str(k): v for k, v in pairs}
    return {}


def read_wheel(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 24), b""):
            digest.update(chunk)
    total: Counter[tuple[str, int]] = Counter()
    texts: Counter[str] = Counter()
    info: dict[str, Any] = {}
    libraries = {}
    with zipfile.ZipFile(path) as wheel:
        for item in wheel.infolist():
            if item.filename.endswith("platform/build_info.py"):
                info = build_info(wheel.read(item).decode("utf-8"))
            elif ".so" in item.filename.rsplit("/", 1)[-1]:
                data = wheel.read(item)
                texts += ptx_texts(data)
                found = fatbin_entries(data)
                if found:
                    libraries[item.filename] = len(found)
                    total += found
    return {
        "wheel": path.name,
        "sha256": digest.hexdigest(),
        "build_info": {
            k: info[k] for k in ("cuda_version", "cudnn_version", "cuda_compute_capabilities") if k in info
        },
        "sass": sorted({arch for kind, arch in total if kind == "sass"}),
        "ptx": sorted({arch for kind, arch in total if kind == "ptx"}),
        "images": {f"{kind}_{arch}": n for (kind, arch), n in sorted(total.items())},
        "ptx_text": dict(sorted(texts.items())),
        "libraries": sorted(libraries),
    }


def main(argv: list[str] | None = None) -> int:
    paths = [Path(p) for p in (argv if argv is not None else sys.argv[1:])]
    if not paths:
        print("usage: python tools/wheel_fatbin.py WHEEL...", file=sys.stderr)
        return 2
    for path in paths:
        print(json.dumps(read_wheel(path)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
