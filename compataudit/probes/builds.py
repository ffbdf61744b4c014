"""What the frameworks were built for, read from files their wheels ship.

``torch/version.py`` and TensorFlow's ``python/platform/build_info.py`` are
generated at build time and hold only literal assignments. They are parsed
with :mod:`ast` and read with :func:`ast.literal_eval` — never executed, never
imported — so a broken or hostile install cannot run code in the auditor.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from compataudit.distributions import TENSORFLOW
from compataudit.files import read_regular
from compataudit.model import BuildInfo, Package, ProbeStatus

_MAX_FILE_BYTES = 256 * 1024  # generated files are tiny; anything bigger is not one


def literal_assignments(source: str) -> dict[str, Any]:
    """Module-level ``name = <literal>`` / ``name: T = <literal>`` pairs of ``source``.

    Calls such as ``collections.OrderedDict([...])`` are read as their literal
    argument. Anything else is skipped. Raises SyntaxError/ValueError on
    unparsable text.
    """
    tree = ast.parse(source)
    values: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        if isinstance(value, ast.Call) and len(value.args) == 1 and not value.keywords:
            value = value.args[0]  # OrderedDict([...]) / dict([...])
        try:
            literal = ast.literal_eval(value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
        if isinstance(literal, list) and all(
            isinstance(i, tuple) and len(i) == 2 and isinstance(i[0], str) for i in literal
        ):
            literal = dict(literal)
        values[target.id] = literal
    return values


def _read_small(path: Path) -> str:
    if path.stat().st_size > _MAX_FILE_BYTES:
        raise ValueError(f"{path.name} is unexpectedly large")
    return read_regular(path).decode("utf-8", errors="replace")


def _base(framework: str, package: Package, path: Path) -> dict[str, Any]:
    return {"framework": framework, "distribution": package.name, "source": str(path)}


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _pinned(package: Package, prefix: str) -> str | None:
    """The ``==`` pin of a dependency in ``package``'s Requires-Dist (``nvidia-cudnn-cu12==9.1.0.70``)."""
    for line in package.requires:
        spec = line.split(";", 1)[0].replace(" ", "").replace("(", "").replace(")", "")
        if spec.lower().startswith(prefix) and "==" in spec:
            return spec.split("==", 1)[1].split(",")[0] or None
    return None


def _read_build_file(
    framework: str, package: Package, relative: str
) -> BuildInfo | tuple[dict[str, Any], dict[str, Any]]:
    """(BuildInfo fields, literal values) of ``relative`` in ``package``'s location, or the
    ABSENT / ERROR BuildInfo saying why it could not be read."""
    path = Path(package.location or ".") / relative
    base = _base(framework, package, path)
    try:
        return base, literal_assignments(_read_small(path))
    except FileNotFoundError:
        return BuildInfo(**base, status=ProbeStatus.ABSENT, detail=f"{relative} not found")
    except (OSError, SyntaxError, ValueError) as exc:
        return BuildInfo(**base, status=ProbeStatus.ERROR, detail=f"cannot read {relative}: {exc}")


def torch_build(package: Package) -> BuildInfo:
    """``torch/version.py`` of an installed torch."""
    read = _read_build_file("torch", package, "torch/version.py")
    if isinstance(read, BuildInfo):
        return read
    base, values = read
    cuda = _str_or_none(values.get("cuda"))
    hip = _str_or_none(values.get("hip")) or _str_or_none(values.get("rocm"))
    cudnn = None
    if cuda:
        cudnn = _pinned(package, "nvidia-cudnn-cu") or _pinned(package, "nvidia-cudnn")
    return BuildInfo(
        **base,
        version=_str_or_none(values.get("__version__")),
        cuda=cuda,
        cudnn=cudnn,
        hip=hip,
        is_cuda_build=cuda is not None,
        git_version=_str_or_none(values.get("git_version")),
    )


def tensorflow_build(package: Package) -> BuildInfo:
    """``tensorflow/python/platform/build_info.py`` of an installed TensorFlow variant."""
    read = _read_build_file("tensorflow", package, "tensorflow/python/platform/build_info.py")
    if isinstance(read, BuildInfo):
        return read
    base, values = read
    info = values.get("build_info")
    # Old releases wrote module-level constants instead of one dict.
    facts: dict[str, Any] = info if isinstance(info, dict) else values
    caps = facts.get("cuda_compute_capabilities") or ()
    archs = tuple(str(c) for c in caps) if isinstance(caps, (list, tuple)) else ()
    is_cuda = facts.get("is_cuda_build")
    return BuildInfo(
        **base,
        version=package.version or None,
        cuda=_str_or_none(facts.get("cuda_version")) if is_cuda is not False else None,
        cudnn=_str_or_none(facts.get("cudnn_version")) if is_cuda is not False else None,
        archs=archs,
        is_cuda_build=is_cuda if isinstance(is_cuda, bool) else None,
        hip=_str_or_none(facts.get("rocm_version")),
    )


def probe_builds(packages: list[Package]) -> tuple[BuildInfo, ...]:
    """Build facts for every installed framework that ships them."""
    by_name = {p.name: p for p in packages}
    builds = []
    torch = by_name.get("torch")
    if torch is not None and torch.location:
        builds.append(torch_build(torch))
    for name in TENSORFLOW:
        tf = by_name.get(name)
        if tf is not None and tf.location:
            builds.append(tensorflow_build(tf))
            break
    return tuple(builds)
