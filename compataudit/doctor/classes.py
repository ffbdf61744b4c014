"""What lint knows about one class: framework roles, defined names, abstract methods.

Roles come from the framework base classes a class reaches through its local
ancestors: ``torch-module`` (``nn.Module`` itself, so ``forward`` is due),
``torch-layer`` (a concrete torch layer or container that already has one),
``torch-function``, ``torch-dataset``, ``torch-iterable``, ``keras-layer``,
``keras-model`` and ``keras-concrete``. A base lint cannot resolve makes the
class ``unknown``: a mixin from another package may supply anything, so the
"missing X" rules stay silent for it.
"""

from __future__ import annotations

import ast
import builtins
import functools
from dataclasses import dataclass, field

from compataudit.doctor.resolve import ClassRef, Project, SourceModule, dotted

_TORCH_MODULE = {"torch.nn.Module", "torch.nn.modules.module.Module"}
_TORCH_FUNCTION = {
    "torch.autograd.Function",
    "torch.autograd.function.Function",
    "torch.autograd.function.InplaceFunction",
}
_TORCH_DATASET = {"torch.utils.data.Dataset", "torch.utils.data.dataset.Dataset"}
_TORCH_ITERABLE = {"torch.utils.data.IterableDataset", "torch.utils.data.dataset.IterableDataset"}
_KERAS_PREFIXES = (
    "tensorflow.python.keras.",
    "tensorflow.keras.",
    "tf_keras.src.",
    "tf_keras.",
    "keras.src.",
    "keras.",
)
_KERAS_LAYER = {"Layer", "layers.Layer", "engine.base_layer.Layer", "layers.layer.Layer"}
_KERAS_MODEL = {"Model", "models.Model", "engine.training.Model", "models.model.Model"}
_NEUTRAL = {"typing.Generic", "typing.Protocol", "typing.NamedTuple", "enum.Enum"}
_ABC = {"abc.ABC"}
_SEQUENTIAL = {"torch.nn.Sequential", "torch.nn.modules.container.Sequential"}


def classify(qualified: str) -> str | None:
    """The framework role of an external base class, or None when lint cannot tell."""
    if qualified in _TORCH_MODULE:
        return "torch-module"
    if qualified in _TORCH_FUNCTION:
        return "torch-function"
    if qualified in _TORCH_DATASET:
        return "torch-dataset"
    if qualified in _TORCH_ITERABLE:
        return "torch-iterable"
    if qualified.startswith("torch.nn.") and qualified.rsplit(".", 1)[1][:1].isupper():
        return "torch-layer"  # Linear, Sequential, ModuleList...: forward exists or is not due
    if qualified.startswith("torch.utils.data.") and qualified.rsplit(".", 1)[1][:1].isupper():
        return "neutral"  # TensorDataset, Subset...: concrete datasets
    for prefix in _KERAS_PREFIXES:
        if qualified.startswith(prefix):
            rest = qualified[len(prefix) :]
            if rest in _KERAS_LAYER:
                return "keras-layer"
            if rest in _KERAS_MODEL:
                return "keras-model"
            if rest.startswith(("layers.", "models.", "applications.")) or rest == "Sequential":
                # a concrete layer or model: call exists
                return "keras-concrete" if rest.rsplit(".", 1)[-1][:1].isupper() else None
            return "neutral"  # callbacks, metrics, losses, optimizers: not layers
    if qualified in _ABC:
        return "abc"
    if qualified in _NEUTRAL or qualified.startswith("typing."):
        return "neutral"
    if "." not in qualified and isinstance(getattr(builtins, qualified, None), type):
        return "neutral"  # object, Exception, dict ...
    return None


@dataclass
class ClassFacts:
    """The resolved facts of one class (own body plus local ancestors)."""

    ref: ClassRef
    node: ast.ClassDef
    module: SourceModule
    roles: set[str] = field(default_factory=set)
    unknown: bool = False  # some ancestor could not be resolved
    names: set[str] = field(default_factory=set)  # concrete attributes (own + ancestors)
    own_names: dict[str, int] = field(default_factory=dict)  # own attribute -> line
    abstract: set[str] = field(default_factory=set)  # abstract methods still unimplemented
    declares_abstract: bool = False  # has its own @abstractmethod, ABC or ABCMeta
    local_bases: list[ClassRef] = field(default_factory=list)


def _is_abstract(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for dec in fn.decorator_list:
        name = dotted(dec)
        if name and name.rsplit(".", 1)[-1] in {"abstractmethod", "abstractproperty"}:
            return True
    return False


def _dynamic_attrs(mod: SourceModule) -> dict[str, set[str]]:
    """``Cls.forward = fn`` anywhere in the module, ``self.forward = ...`` in its methods."""
    found: dict[str, set[str]] = {}
    assigns, calls = mod.assigns_and_calls
    for assign in assigns:
        for target in assign.targets:
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                found.setdefault(target.value.id, set()).add(target.attr)
    for node in calls:
        if (
            isinstance(node.func, ast.Name)
            and node.func.id == "setattr"
            and len(node.args) >= 2
            and isinstance(node.args[0], ast.Name)
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            found.setdefault(node.args[0].id, set()).add(node.args[1].value)
    return found


class ClassIndex:
    """Facts for every module-level class of a project, computed on demand."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._facts: dict[ClassRef, ClassFacts] = {}
        self._dynamic = {name: _dynamic_attrs(m) for name, m in project.modules.items()}
        self._in_progress: set[ClassRef] = set()
        self.subclassed: set[ClassRef] = set()
        for mod in project.modules.values():
            for cls in mod.classes.values():
                for base in cls.bases:
                    target = project.qualify(mod, base)
                    if isinstance(target, ClassRef):
                        self.subclassed.add(target)

    @functools.cached_property
    def called(self) -> set[ClassRef]:
        """Classes whose instances are called somewhere in the tree.

        ``Cls(...)(x)``; ``m = Cls(...)`` (or ``self.m = ...``) then ``m(x)`` in the same
        module; ``nn.Sequential(Cls(...), ...)``, which calls its children.
        """
        called: set[ClassRef] = set()
        for mod in self.project.modules.values():
            bound: dict[str, ClassRef] = {}
            assigns, calls = mod.assigns_and_calls
            for node in assigns:
                if isinstance(node.value, ast.Call):
                    target = self.project.qualify(mod, node.value.func)
                    if isinstance(target, ClassRef):
                        for t in node.targets:
                            name = dotted(t)
                            if name:
                                bound[name] = target
            for call in calls:
                inner = call.func
                target = (
                    self.project.qualify(mod, inner.func)
                    if isinstance(inner, ast.Call)
                    else bound.get(dotted(inner) or "")
                )
                if isinstance(target, ClassRef):
                    called.add(target)
                if self.project.qualify(mod, call.func) in _SEQUENTIAL:
                    for arg in call.args:
                        if isinstance(arg, ast.Call):
                            child = self.project.qualify(mod, arg.func)
                            if isinstance(child, ClassRef):
                                called.add(child)
        return called

    @functools.cached_property
    def instantiated(self) -> set[ClassRef]:
        """Classes constructed somewhere in the tree (``Cls(...)``)."""
        made: set[ClassRef] = set()
        for mod in self.project.modules.values():
            for call in mod.assigns_and_calls[1]:
                target = self.project.qualify(mod, call.func)
                if isinstance(target, ClassRef):
                    made.add(target)
        return made

    def all_classes(self) -> list[ClassFacts]:
        return [self.facts(ClassRef(m.name, c)) for m in self.project.modules.values() for c in m.classes]

    def facts(self, ref: ClassRef) -> ClassFacts:
        if ref in self._facts:
            return self._facts[ref]
        mod = self.project.modules[ref.module]
        node = mod.classes[ref.name]
        facts = ClassFacts(ref=ref, node=node, module=mod)
        if ref in self._in_progress:  # an inheritance cycle: give up on it
            facts.unknown = True
            return facts
        self._in_progress.add(ref)
        try:
            self._fill(facts)
        finally:
            self._in_progress.discard(ref)
        self._facts[ref] = facts
        return facts

    def _fill(self, facts: ClassFacts) -> None:
        node, mod = facts.node, facts.module
        inherited_abstract: set[str] = set()
        for kw in node.keywords:
            if kw.arg == "metaclass":
                meta = self.project.qualify(mod, kw.value)
                if isinstance(meta, str) and meta.endswith("ABCMeta"):
                    facts.declares_abstract = True
        for base in node.bases:
            target = self.project.qualify(mod, base)
            if isinstance(target, ClassRef):
                parent = self.facts(target)
                facts.local_bases.append(target)
                facts.roles |= parent.roles
                facts.unknown |= parent.unknown
                facts.names |= parent.names
                inherited_abstract |= parent.abstract
                continue
            role = classify(target) if isinstance(target, str) else None
            if role is None:
                facts.unknown = True
            elif role == "abc":
                facts.declares_abstract = True
            elif role != "neutral":
                facts.roles.add(role)
        own_abstract: set[str] = set()
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                facts.own_names[stmt.name] = stmt.lineno
                if _is_abstract(stmt):
                    own_abstract.add(stmt.name)
            elif isinstance(stmt, ast.Assign):
                for t in stmt.targets:  # `a = f` and `__add__, __radd__ = ops(...)`
                    for name in t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]:
                        if isinstance(name, ast.Name):
                            facts.own_names[name.id] = stmt.lineno
            elif (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and stmt.value is not None
            ):
                facts.own_names[stmt.target.id] = stmt.lineno
        dynamic = self._dynamic[mod.name].get(node.name, set())
        end = node.end_lineno or node.lineno
        for sub in mod.assigns_and_calls[0]:  # `self.forward = ...` inside the class body
            if node.lineno <= sub.lineno <= end:
                dynamic = dynamic | {
                    t.attr
                    for t in sub.targets
                    if isinstance(t, ast.Attribute)
                    and isinstance(t.value, ast.Name)
                    and t.value.id in {"self", "cls"}
                }
        concrete_own = (set(facts.own_names) - own_abstract) | dynamic
        facts.declares_abstract |= bool(own_abstract)
        facts.abstract = (inherited_abstract - concrete_own - facts.names) | own_abstract
        facts.names |= concrete_own
