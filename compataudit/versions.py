"""Version strings as deep-learning stacks really write them.

``packaging`` does the parsing; this module adds what it leaves out: tolerance
for junk (never raise), the build variant carried in a local label
(``2.5.1+cu124`` -> ``cu124``), and range tests that always say explicitly
whether pre-releases count (nightlies such as ``2.6.0.dev20241001+cu124``
must match ``>=2.5``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from compataudit.distributions import canonical_name
from compataudit.model import Environment, Package

if TYPE_CHECKING:
    from packaging.markers import Marker

_VARIANT_RE = re.compile(r"^(cpu|cu\d{2,3}|rocm\d+(?:\.\d+)*|xpu)$")
_NUMERIC_PREFIX_RE = re.compile(r"^\s*v?(\d+(?:\.\d+)*)")


@functools.lru_cache(maxsize=4096)
def parse_version(text: str | None) -> Version | None:
    """``Version(text)``, or None when ``text`` is empty or not a PEP 440 version."""
    if not text:
        return None
    try:
        return Version(text.strip())
    except InvalidVersion:
        return None


def numeric_prefix(text: str | None) -> Version | None:
    """The leading dotted number of a loose version string (``'12.5.1'`` from ``'12.5.1-foo'``)."""
    if not text:
        return None
    match = _NUMERIC_PREFIX_RE.match(text)
    return Version(match.group(1)) if match else None


def local_variant(version: str | Version | None) -> str | None:
    """The build variant in a local label: ``cu124``, ``cpu``, ``rocm6.2``, ``xpu``; else None.

    Vendor labels (``+git1234``, ``+nv24.5``) are not variants and give None.
    """
    v = parse_version(version) if isinstance(version, str) or version is None else version
    if v is None or v.local is None:
        return None
    for part in v.local.split("."):
        if _VARIANT_RE.match(part):
            # rocm labels keep their dots (``rocm6.2``): take everything from the match on
            if part.startswith("rocm"):
                return "rocm" + v.local.split("rocm", 1)[1]
            return part
    return None


def variant_cuda(variant: str | None) -> str | None:
    """``cu124`` -> ``12.4``; ``cu118`` -> ``11.8``; ``cu130`` -> ``13.0``; others -> None."""
    if not variant or not variant.startswith("cu") or not variant[2:].isdigit():
        return None
    digits = variant[2:]
    return f"{digits[:-1]}.{digits[-1]}"


def cuda_variant(cuda: str | None) -> str | None:
    """``12.4`` / ``12.4.1`` -> ``cu124``; None -> None."""
    v = numeric_prefix(cuda)
    if v is None or len(v.release) < 2:
        return None
    return f"cu{v.release[0]}{v.release[1]}"


def public(version: Version) -> Version:
    """The version without its local label."""
    return Version(version.public)


def minor_of(version: str | Version | None) -> str | None:
    """``2.5.1+cu124`` -> ``2.5``."""
    v = parse_version(version) if isinstance(version, str) or version is None else version
    if v is None:
        return None
    release = (*v.release, 0)
    return f"{release[0]}.{release[1]}"


def major_minor(version: str | None) -> tuple[int, int] | None:
    """``'12.4.1'`` -> ``(12, 4)``; loose strings welcome."""
    v = numeric_prefix(version)
    if v is None:
        return None
    release = (*v.release, 0)
    return release[0], release[1]


@functools.lru_cache(maxsize=2048)
def specifier(text: str) -> SpecifierSet:
    """A cached ``SpecifierSet``; raises ``InvalidSpecifier`` on bad input."""
    return SpecifierSet(text)


def in_range(version: str | Version | None, spec: str, *, prereleases: bool = True) -> bool | None:
    """Is ``version`` inside ``spec``? None when either cannot be read.

    The one version-matching rule of compataudit (PKG002, POL001, what-if pins, the
    nox asserts, the matrices): PEP 440 as ``packaging`` implements it, so a local
    label is ignored unless the specifier has one (``2.5.1+cu124`` is in ``>=2.5,<2.6``
    and in ``==2.5.1``; ``==2.5.1+cu124`` wants exactly that build). Pre-releases and
    dev builds count by default: a nightly of 2.6 is a 2.6 for our purposes.
    """
    v = parse_version(version) if isinstance(version, str) or version is None else version
    if v is None:
        return None
    try:
        spec_set = specifier(spec)
    except InvalidSpecifier:
        return None
    return spec_set.contains(v, prereleases=prereleases)


def same_minor(a: str | None, b: str | None) -> bool | None:
    ma, mb = minor_of(a), minor_of(b)
    if ma is None or mb is None:
        return None
    return ma == mb


def driver_tuple(text: str | None) -> tuple[int, ...] | None:
    """NVIDIA driver versions compare as integer tuples: ``'570.124.06'`` -> ``(570, 124, 6)``."""
    if not text:
        return None
    parts = text.strip().split(".")
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        return None


@dataclass(frozen=True)
class ParsedRequirement:
    """A Requires-Dist line, split cheaply: ``name[extras] specifier ; marker``."""

    name: str  # canonical
    specifier: str  # "" when none
    marker: str | None
    text: str


_REQ_RE = re.compile(
    r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*"
    r"\(?\s*((?:[<>=!~][^;()@]*)?)\s*\)?\s*(?:;\s*(.+?))?\s*$"
)


@functools.lru_cache(maxsize=8192)
def parse_requirement(line: str) -> ParsedRequirement | None:
    """A cached, fast split of a requirement line; None for lines we cannot judge (URLs, junk).

    ``packaging.requirements.Requirement`` costs ~40 µs a line; a venv has hundreds
    and several checks read them, so this is parsed once per distinct line.
    """
    split = _split_requirement(line)
    if split is None:
        return None
    name, spec, marker = split
    if spec:
        try:
            specifier(spec)
        except InvalidSpecifier:
            return None
    return ParsedRequirement(canonical_name(name), spec, marker, line)


@functools.lru_cache(maxsize=8192)
def _split_requirement(line: str) -> tuple[str, str, str | None] | None:
    """(name, specifier, marker) by the regex alone; the specifier is not validated."""
    match = _REQ_RE.match(line)
    if match is None:
        return None
    return match.group(1), match.group(2).replace(" ", ""), match.group(3)


@functools.lru_cache(maxsize=2048)
def _marker(text: str) -> Marker | None:
    from packaging.markers import InvalidMarker, Marker

    try:
        return Marker(text)
    except InvalidMarker:
        return None


# The simple markers nearly every Requires-Dist line carries (``extra == "dev"``,
# ``python_version < "3.11"``, ``sys_platform == "linux" and extra == "gpu"``) are judged
# here: packaging.markers pulls in packaging.tags, logging and sysconfig (~40 ms of CPU
# on every run) for what a comparison answers. Anything else goes to packaging.
_TERM_RE = re.compile(r"""^\s*([a-z_]+)\s*(===|==|!=|<=|>=|~=|<|>|not\s+in|in)\s*(['"])([^'"]*)\3\s*$""")
_VERSION_VARS = frozenset({"python_version", "python_full_version", "implementation_version"})
_STRING_VARS = frozenset(
    {
        "extra",
        "os_name",
        "sys_platform",
        "platform_system",
        "platform_machine",
        "platform_python_implementation",
        "implementation_name",
        "platform_release",
    }
)


def _normalize_extra(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _simple_term(term: str, environment: dict[str, str]) -> bool | None:
    """One ``variable op "value"`` comparison, or None when packaging must judge it."""
    match = _TERM_RE.match(term)
    if match is None:
        return None
    var, op, value = match.group(1), " ".join(match.group(2).split()), match.group(4)
    if var not in environment:
        return None
    actual = environment[var]
    if var in _VERSION_VARS and op not in ("in", "not in", "==="):
        try:
            return Specifier(f"{op}{value}").contains(actual, prereleases=True)
        except InvalidSpecifier:
            return None
    if var not in _STRING_VARS:
        return None
    if var == "extra":
        actual, value = _normalize_extra(actual), _normalize_extra(value)
    if op == "==":
        return actual == value
    if op == "!=":
        return actual != value
    if op == "in":
        return actual in value
    if op == "not in":
        return actual not in value
    return None


_TOKEN_RE = re.compile(
    r"""\s*(\(|\)|and\b|or\b|[a-z_]+\s*(?:===|==|!=|<=|>=|~=|<|>|not\s+in\b|in\b)\s*(['"])[^'"]*\2)"""
)


@functools.lru_cache(maxsize=4096)
def _simple_marker(marker: str, env_items: tuple[tuple[str, str], ...]) -> bool | None:
    """``and`` / ``or`` / parentheses over simple terms; None when packaging must judge.

    Three-valued: a term we cannot judge is None, and decides the answer only where the
    others leave it open (``False and ?`` is False, ``True or ?`` is True).
    """
    tokens: list[str] = []
    pos = 0
    while pos < len(marker.rstrip()):
        match = _TOKEN_RE.match(marker, pos)
        if match is None:
            return None
        tokens.append(match.group(1))
        pos = match.end()
    environment = dict(env_items)
    at = 0

    def expr() -> bool | None:
        nonlocal at
        values = [conjunction()]
        while at < len(tokens) and tokens[at] == "or":
            at += 1
            values.append(conjunction())
        return True if True in values else (None if None in values else False)

    def conjunction() -> bool | None:
        nonlocal at
        values = [atom()]
        while at < len(tokens) and tokens[at] == "and":
            at += 1
            values.append(atom())
        return False if False in values else (None if None in values else True)

    def atom() -> bool | None:
        nonlocal at
        if at >= len(tokens):
            raise ValueError("marker ends early")
        token = tokens[at]
        at += 1
        if token == "(":
            value = expr()
            if at >= len(tokens) or tokens[at] != ")":
                raise ValueError("unbalanced parentheses")
            at += 1
            return value
        if token in (")", "and", "or"):
            raise ValueError(f"unexpected {token!r}")
        return _simple_term(token, environment)

    try:
        result = expr()
    except ValueError:
        return None
    return result if at == len(tokens) else None


def marker_applies(marker: str | None, environment: dict[str, str]) -> bool | None:
    """Does ``marker`` hold in ``environment``? None when the marker cannot be read.

    packaging fills variables missing from ``environment`` with the running
    interpreter's values, so callers pass every variable of the audited machine.
    """
    if marker is None:
        return True
    simple = _simple_marker(marker, tuple(sorted(environment.items())))
    if simple is not None:
        return simple
    parsed = _marker(marker)
    if parsed is None:
        return None
    from packaging.markers import UndefinedEnvironmentName

    try:
        return parsed.evaluate(environment)
    except UndefinedEnvironmentName:
        return None


# ------------------------------------------------------- PEP 508 markers of an environment

_SYS_PLATFORM = {"Linux": "linux", "Darwin": "darwin", "Windows": "win32"}


def platform_markers(env: Environment) -> dict[str, str]:
    """The PEP 508 marker variables that do not depend on the Python version."""
    system = env.platform.system
    impl = env.python.implementation or "CPython"
    return {
        "implementation_name": impl.lower(),
        "platform_python_implementation": impl,
        "platform_system": system,
        "platform_machine": env.platform.machine,
        "platform_release": env.platform.release or "",
        "platform_version": "",
        "sys_platform": _SYS_PLATFORM.get(system, system.lower()),
        "os_name": "nt" if system == "Windows" else "posix",
        "extra": "",
    }


def marker_environment(env: Environment) -> dict[str, str] | None:
    """PEP 508 marker variables of the audited environment; None if its Python is unknown."""
    v = parse_version(env.python.version)
    if v is None:
        return None
    release = (*v.release, 0, 0)
    return {
        **platform_markers(env),
        "python_version": f"{release[0]}.{release[1]}",
        "python_full_version": env.python.version,
        "implementation_version": env.python.version,
    }


def applicable_requirements(pkg: Package, markers: dict[str, str]) -> Iterator[ParsedRequirement]:
    """The Requires-Dist lines of ``pkg`` whose markers hold in ``markers``.

    Malformed lines of third-party metadata, and markers that cannot be
    evaluated, are skipped: there is nothing we could judge.
    """
    for line in pkg.requires:
        # The marker first: most lines are another extra's or platform's (128 of 957 apply
        # in a torch + TensorFlow + JAX venv), and validating a specifier costs more.
        split = _split_requirement(line)
        if split is None or not marker_applies(split[2], markers):
            continue
        req = parse_requirement(line)
        if req is not None:
            yield req
