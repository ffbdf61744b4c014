"""Tiny wheels and local package indexes for the fix round-trip tests.

A wheel here is a real ``.whl`` (zip, dist-info with METADATA / WHEEL / RECORD and a hashed
RECORD) holding one stub module plus the build-fact files compataudit reads
(``torch/version.py``, TensorFlow's ``build_info.py``), so pip and uv install it the way
they install the real one, in milliseconds. An index is a PEP 503 simple index laid out
on disk and used through a ``file://`` URL: one for "PyPI" and one per PyTorch variant
index (``https://download.pytorch.org/whl/cu130`` -> ``<root>/pytorch/cu130/``).
"""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from packaging.utils import canonicalize_name
from packaging.version import Version

PYTORCH_INDEX = "https://download.pytorch.org/whl/"

# The shape of the real files (recorded: tests/fixtures/builds/), with the facts varied.
_TORCH_VERSION_PY = """from typing import Optional

__all__ = ['__version__', 'debug', 'cuda', 'git_version', 'hip', 'rocm', 'xpu']
__version__ = '{version}'
debug = False
cuda: Optional[str] = {cuda}
git_version = 'cf30153c4c131c8164ee7798e5022d810682e2cb'
hip: Optional[str] = None
rocm: Optional[str] = None
xpu: Optional[str] = None
"""

_TF_BUILD_INFO = """# Copyright 2026 The TensorFlow Authors. All Rights Reserved.
\"\"\"Auto-generated module providing information about the build.\"\"\"
import collections

build_info = collections.OrderedDict({facts!r})
"""


@dataclass(frozen=True)
class Wheel:
    """One distribution release to lay out as a wheel."""

    name: str
    version: str
    requires: tuple[str, ...] = ()
    extras: dict[str, tuple[str, ...]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # path inside site-packages -> text
    module: str | None = None  # top-level package; default: the name with "_"

    @property
    def filename(self) -> str:
        dist = re.sub(r"[-_.]+", "_", self.name)
        return f"{dist}-{self.version}-py3-none-any.whl"


def torch_wheel(version: str, cuda: str | None = None, requires: tuple[str, ...] = ()) -> Wheel:
    """torch with a ``version.py`` saying which CUDA it was built for (None: CPU)."""
    text = _TORCH_VERSION_PY.format(version=version, cuda=repr(cuda))
    return Wheel("torch", version, requires, files={"torch/version.py": text})


def tensorflow_wheel(name: str, version: str, cuda: str | None, requires: tuple[str, ...] = ()) -> Wheel:
    """A TensorFlow distribution with its ``build_info.py`` (a CUDA build when ``cuda``)."""
    facts: dict[str, object] = {
        "cpu_compiler": "/usr/lib/llvm-18/bin/clang",
        "is_cuda_build": cuda is not None,
    }
    if cuda:
        facts |= {
            "cuda_compute_capabilities": ["sm_60", "sm_70", "sm_80", "sm_89", "compute_90"],
            "cuda_version": cuda,
            "cudnn_version": "8" if cuda.startswith("11.") else "9",
        }
    text = _TF_BUILD_INFO.format(facts=list(facts.items()))
    extras: dict[str, tuple[str, ...]] = {"and-cuda": ()} if name == "tensorflow" else {}
    return Wheel(
        name,
        version,
        requires,
        extras=extras,
        files={"tensorflow/python/platform/build_info.py": text},
        module="tensorflow",
    )


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest},{len(data)}"


def build_wheel(wheel: Wheel, directory: Path) -> Path:
    """Write ``wheel`` into ``directory`` and return its path."""
    dist = re.sub(r"[-_.]+", "_", wheel.name)
    info = f"{dist}-{wheel.version}.dist-info"
    module = wheel.module or dist
    metadata = [
        "Metadata-Version: 2.1",
        f"Name: {wheel.name}",
        f"Version: {wheel.version}",
        *(f"Requires-Dist: {r}" for r in wheel.requires),
    ]
    for extra, reqs in wheel.extras.items():
        metadata.append(f"Provides-Extra: {extra}")
        metadata += [f'Requires-Dist: {r}; extra == "{extra}"' for r in reqs]
    files = {f"{module}/__init__.py": "", **wheel.files}
    files[f"{info}/METADATA"] = "\n".join(metadata) + "\n"
    files[f"{info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: wheelhouse\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    files[f"{info}/top_level.txt"] = module.split("/")[0] + "\n"
    record = [f"{path},{_record_hash(text.encode())}" for path, text in files.items()]
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    path = directory / wheel.filename
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path


def build_index(root: Path, wheels: list[Wheel]) -> str:
    """A PEP 503 simple index of ``wheels`` under ``root``; returns its ``file://`` URL."""
    root.mkdir(parents=True, exist_ok=True)
    by_project: dict[str, list[Wheel]] = {}
    for wheel in wheels:
        by_project.setdefault(canonicalize_name(wheel.name), []).append(wheel)
    for project, releases in by_project.items():
        folder = root / project
        folder.mkdir(exist_ok=True)
        links = []
        for wheel in sorted(releases, key=lambda w: Version(w.version)):
            build_wheel(wheel, folder)
            links.append(f'<a href="{quote(wheel.filename)}">{wheel.filename}</a><br/>')
        page = "<!DOCTYPE html><html><body>\n" + "\n".join(links) + "\n</body></html>\n"
        (folder / "index.html").write_text(page, encoding="utf-8")
    (root / "index.html").write_text(
        "<!DOCTYPE html><html><body>\n"
        + "\n".join(f'<a href="{p}/">{p}</a><br/>' for p in sorted(by_project))
        + "\n</body></html>\n",
        encoding="utf-8",
    )
    return root.as_uri() + "/"
