"""Name resolution for lint: imports, aliases and class bases across a walked tree.

Every parsed file becomes a :class:`SourceModule` with its import alias map and
its module-level classes. :class:`Project` resolves a base-class expression to
either a class defined in the tree (:class:`ClassRef`) or a fully qualified
external name (``"torch.nn.Module"``), so that ``nn.Module`` only counts as
torch when ``nn`` really is ``torch.nn`` (mlx, flax and paddle have their own).
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass, field

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
    """One parsed file: its dotted name, imports and module-level classes."""

    name: str  # dotted name relative to the walked root: "pkg.models"
    path: str
    tree: ast.Module
    is_package: bool = False
    aliases: dict[str, str] = field(default_factory=dict)  # local name -> qualified name
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)

    @property
    def package(self) -> str:
        return self.name if self.is_package else self.name.rpartition(".")[0]

    @functools.cached_property
    def assigns_and_calls(self) -> tuple[list[ast.Assign], list[ast.Call]]:
        """Every assignment and call in the file, from one walk (rules share it)."""
        assigns: list[ast.Assign] = []
        calls: list[ast.Call] = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign):
                assigns.append(node)
            elif isinstance(node, ast.Call):
                calls.append(node)
        return assigns, calls


def module_level_nodes(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements at module level, looking inside if/try/with blocks (guarded imports)."""
    out: list[ast.stmt] = []
    for node in body:
        out.append(node)
        if isinstance(node, ast.If):
            out.extend(module_level_nodes(node.body + node.orelse))
        elif isinstance(node, ast.Try):
            handlers = [s for h in node.handlers for s in h.body]
            out.extend(module_level_nodes(node.body + handlers + node.orelse + node.finalbody))
        elif isinstance(node, ast.With):
            out.extend(module_level_nodes(node.body))
    return out


def build_module(name: str, path: str, tree: ast.Module, *, is_package: bool) -> SourceModule:
    """Collect the alias map and classes of one parsed file."""
    mod = SourceModule(name=name, path=path, tree=tree, is_package=is_package)
    for node in module_level_nodes(tree.body):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    mod.aliases[a.asname] = a.name
                else:  # `import torch.nn` binds `torch`
                    head = a.name.split(".")[0]
                    mod.aliases[head] = head
        elif isinstance(node, ast.ImportFrom):
            base = _absolute_from(mod, node)
            for a in node.names:
                if a.name == "*":
                    continue
                mod.aliases[a.asname or a.name] = f"{base}.{a.name}" if base else a.name
        elif isinstance(node, ast.ClassDef):
            mod.classes[node.name] = node
            mod.aliases.pop(node.name, None)  # a local class shadows an earlier import
    return mod


def _absolute_from(mod: SourceModule, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    parts = mod.package.split(".") if mod.package else []
    up = node.level - 1
    parts = parts[: len(parts) - up] if up <= len(parts) else []
    if node.module:
        parts.append(node.module)
    return ".".join(p for p in parts if p)


def dotted(expr: ast.expr) -> str | None:
    """``a.b.C`` for Name/Attribute chains; None for anything else."""
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if isinstance(expr, ast.Name):
        parts.append(expr.id)
        return ".".join(reversed(parts))
    return None


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

    def qualify(self, mod: SourceModule, expr: ast.expr) -> ClassRef | str | None:
        """Resolve a base-class (or callee) expression seen in ``mod``."""
        name = dotted(expr)
        if name is None:
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
