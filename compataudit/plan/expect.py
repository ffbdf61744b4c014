"""``fleet --expect NODES``: which nodes should have reported, and which did not.

NODES is a file with one hostname (or hostlist expression) per line, ``#`` comments
allowed, or a Slurm hostlist expression itself (``gpu[001-128]``, ``a[1-3],b7``) -
``$SLURM_JOB_NODELIST`` as Slurm sets it. Expressions are expanded by
python-hostlist, imported only here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from compataudit.errors import InputError


def expected_nodes(spec: str) -> list[str]:
    """The hostnames ``spec`` names, in order, each once; InputError when it names none."""
    path = Path(spec).expanduser()
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"--expect {spec}: {getattr(exc, 'strerror', None) or exc}") from None
        words = [w for line in text.splitlines() for w in line.split("#", 1)[0].split()]
        where = f"--expect {spec}"
    else:
        if "/" in spec or spec.endswith((".txt", ".list")):
            raise InputError(f"--expect {spec}: no such file")
        words, where = [spec], f"--expect {spec!r}"
    names: list[str] = []
    for word in words:
        names.extend(expand(word, where))
    unique = list(dict.fromkeys(names))
    if not unique:
        raise InputError(f"{where}: names no node")
    return unique


def expand(expression: str, where: str = "hostlist") -> list[str]:
    """``gpu[001-003]`` -> gpu001, gpu002, gpu003 (Slurm's syntax, through python-hostlist)."""
    import hostlist

    try:
        return [str(n) for n in hostlist.expand_hostlist(expression)]
    except hostlist.BadHostlist as exc:
        raise InputError(f"{where}: not a hostlist expression: {exc}") from None


def collect(names: Iterable[str]) -> str:
    """The shortest hostlist expression for ``names`` (``gpu[001-003],b7``)."""
    import hostlist

    return str(hostlist.collect_hostlist(list(names)))


def compact_names(names: Iterable[str]) -> str:
    """``names`` as one hostlist expression where python-hostlist can write one, else comma-joined
    (a file path with a character a hostlist forbids)."""
    import hostlist

    listed = list(names)
    try:
        return collect(listed)
    except hostlist.BadHostlist:
        return ", ".join(listed)


def missing_nodes(expected: Sequence[str], seen: Iterable[str]) -> list[str]:
    """Expected nodes that match no name seen: a hostname, its short form, or a file's stem."""
    present: set[str] = set()
    for name in seen:
        present.add(name)
        present.add(name.split(".", 1)[0])
    return [n for n in expected if n not in present and n.split(".", 1)[0] not in present]
