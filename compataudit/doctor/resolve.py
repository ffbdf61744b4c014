"""Name resolution for lint: imports, aliases and class bases across a walked tree.

Every parsed file becomes a :class:`SourceModule` with its import alias map and
its module-level classes. :class:`Project` resolves a base-class expression to
either a class defined in the tree (:class:`ClassRef`) or a fully qualified
external name (``"torch.nn.Module"``), so that ``nn.Module`` only counts as
torch when ``nn`` really is ``torch.nn`` (mlx, flax and paddle have their own).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from compataudit.doctor.summary import ClassSummary, FileSummary

# Import roots that are never resolved to a local file (a user's `torch.py`
# must not shadow the real framework in our analysis).
FRAMEWORK_ROOTS = frozenset({"torch", "tensorflow", "keras", "tf_keras", "abc", "typing"})


@dataclass(frozen=True)
class ClassRef:
    """A class defined at module level somewhere in the walked tree."""

    module: str
    name: str


@dataclass
class SourceModule:
    """One summarised file: its dotted name, absolute import aliases and classes."""

    name: str  # dotted name relative to the walked root: "pkg.models"
    path: str
    summary: FileSummary
    is_package: bool = False
    aliases: dict[str, str] = field(default_factory=dict)  # local name -> qualified name
    classes: dict[str, ClassSummary] = field(default_factory=dict)

    @property
    def package(self) -> str:
        return self.name if self.is_package else self.name.rpartition(".")[0]


def build_module(name: str, path: str, summary: FileSummary, *, is_package: bool) -> SourceModule:
    """Make relative imports absolute for this module's place in the tree."""
    mod = SourceModule(name=name, path=path, summary=summary, is_package=is_package)
    for local, target in summary.aliases.items():
        mod.aliases[local] = _absolute(mod.package, target) if target.startswith(".") else target
    mod.classes = {c.name: c for c in summary.classes}
    return mod


def _absolute(package: str, target: str) -> str:
    """``..base.X`` seen in package ``a.b.c`` -> ``a.b.base.X``."""
    level = len(target) - len(target.lstrip("."))
    parts = package.split(".") if package else []
    up = level - 1
    parts = parts[: len(parts) - up] if up <= len(parts) else []
    rest = target[level:]
    return ".".join([p for p in parts if p] + ([rest] if rest else []))


@dataclass
class Project:
    """All modules of one lint run, indexed for cross-file resolution."""

    modules: dict[str, SourceModule] = field(default_factory=dict)
    _by_suffix: dict[str, str] = field(default_factory=dict)

    def add(self, mod: SourceModule) -> None:
        self.modules[mod.name] = mod
        parts = mod.name.split(".")
        # Also index every dotted suffix: `from models.base import X` works
        # whichever directory the user pointed lint at.
        for i in range(len(parts)):
            self._by_suffix.setdefault(".".join(parts[i:]), mod.name)

    def find_module(self, name: str) -> SourceModule | None:
        if not name:
            return None
        if name in self.modules:  # exact: linting a package (even torch itself)
            return self.modules[name]
        if name.split(".")[0] in FRAMEWORK_ROOTS:
            return None
        key = self._by_suffix.get(name)
        return self.modules.get(key) if key else None

    def qualify(self, mod: SourceModule, name: str | None) -> ClassRef | str | None:
        """Resolve a dotted base-class (or callee) name seen in ``mod``."""
        if not name:
            return None
        head, _, rest = name.partition(".")
        if not rest and head in mod.classes:
            return ClassRef(mod.name, head)
        if head in mod.aliases:
            full = mod.aliases[head] + ("." + rest if rest else "")
            return self.resolve_qualified(full)
        return name if not rest else None  # a bare builtin (object, Exception) or unknown

    def resolve_qualified(self, full: str, depth: int = 0) -> ClassRef | str:
        """A qualified name to a local class when the tree defines it, else the name."""
        parts = full.split(".")
        for i in range(len(parts) - 1, 0, -1):
            target = self.find_module(".".join(parts[:i]))
            if target is None:
                continue
            rest = parts[i:]
            if len(rest) == 1 and rest[0] in target.classes:
                return ClassRef(target.name, rest[0])
            if rest[0] in target.aliases and depth < 5:  # re-exported from another module
                return self.resolve_qualified(".".join([target.aliases[rest[0]], *rest[1:]]), depth + 1)
            break
        return full
