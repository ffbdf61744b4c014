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

import builtins
import functools
from dataclasses import dataclass, field

from compataudit.doctor.resolve import ClassRef, Project, SourceModule, _absolute
from compataudit.doctor.summary import ClassSummary

_TORCH_MODULE = {
    "torch.nn.Module",
    "torch.nn.modules.module.Module",
    # LightningModule.forward defers to nn.Module's, which raises NotImplementedError.
    "lightning.LightningModule",
    "lightning.pytorch.LightningModule",
    "lightning.pytorch.core.LightningModule",
    "lightning.pytorch.core.module.LightningModule",
    "pytorch_lightning.LightningModule",
    "pytorch_lightning.core.LightningModule",
    "pytorch_lightning.core.module.LightningModule",
}
_TORCH_FUNCTION = {
    "torch.autograd.Function",
    "torch.autograd.function.Function",
    "torch.autograd.function.InplaceFunction",
}
_TORCH_DATASET = {"torch.utils.data.Dataset", "torch.utils.data.dataset.Dataset"}
_TORCH_ITERABLE = {"torch.utils.data.IterableDataset", "torch.utils.data.dataset.IterableDataset"}
_KERAS_PREFIXES = (
    "tensorflow.compat.v1.keras.",
    "tensorflow.compat.v2.keras.",
    "tensorflow.python.keras.",
    "tensorflow.keras.",
    "tf_keras.src.",
    "tf_keras.",
    "keras.src.",
    "keras.",
)
_KERAS_LAYER = {
    "Layer",
    "layers.Layer",
    "engine.base_layer.Layer",
    "layers.layer.Layer",
    "engine.topology.Layer",
    "engine.Layer",
}
_KERAS_MODEL = {"Model", "models.Model", "engine.training.Model", "models.model.Model", "engine.Model"}
# Import paths that only exist in Keras 2.
_KERAS2_PREFIXES = ("tf_keras.", "keras.engine.")
_SEQUENTIAL = {"torch.nn.Sequential", "torch.nn.modules.container.Sequential"}
_LISTS = {
    "torch.nn.ModuleList",
    "torch.nn.ModuleDict",
    "torch.nn.modules.container.ModuleList",
    "torch.nn.modules.container.ModuleDict",
}
_NEUTRAL = {"typing.Generic", "typing.Protocol", "typing.NamedTuple", "enum.Enum"}
_ABC = {"abc.ABC"}


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


def _keras_container(name: str) -> bool:
    """keras.Sequential / tf.keras.models.Sequential / a `.add(...)` call."""
    return name.rsplit(".", 1)[-1] in {"Sequential", "add"} and (
        name.endswith(".add") or classify(name) == "keras-concrete"
    )


@dataclass(frozen=True)
class KerasGeneration:
    """The Keras major version ``keras.*`` and ``tf.keras.*`` mean where the code runs.

    None: not known (no environment, or ``--no-probe``). Then the import paths decide:
    tf.keras is Keras 2 (before TF 2.16), standalone ``keras`` is Keras 3 unless the file,
    or the walked tree, imports modules only Keras 2 had (``keras.engine``,
    ``keras.layers.merge``, Keras 2 backend ops through ``K``).
    """

    standalone: int | None = None
    tf_keras: int | None = None


@dataclass
class ClassFacts:
    """The resolved facts of one class (own body plus local ancestors)."""

    ref: ClassRef
    cls: ClassSummary
    module: SourceModule
    roles: set[str] = field(default_factory=set)
    unknown: bool = False  # some ancestor could not be resolved
    names: set[str] = field(default_factory=set)  # concrete attributes (own + ancestors)
    abstract: set[str] = field(default_factory=set)  # abstract methods still unimplemented
    declares_abstract: bool = False  # has its own @abstractmethod, ABC or ABCMeta
    functional: bool = False  # it or a local base builds a functional Keras model
    has_init: bool = False  # it or a local base defines __init__
    abcmeta: bool = False  # its metaclass is ABCMeta, so Python enforces @abstractmethod
    keras2: bool = False  # its Keras is Keras 2 (path, file's imports, tree or environment)
    shim: bool = False  # its __new__ returns an instance of another class that does the work

    @property
    def own_names(self) -> dict[str, int]:
        return self.cls.own


class ClassIndex:
    """Facts for every module-level class of a project, computed on demand."""

    def __init__(self, project: Project, keras: KerasGeneration | None = None) -> None:
        self.project = project
        self.keras = keras or KerasGeneration()
        self._facts: dict[ClassRef, ClassFacts] = {}
        self._in_progress: set[ClassRef] = set()
        self.subclassed: set[ClassRef] = set()
        for mod in project.modules.values():
            for cls in mod.classes.values():
                for base in cls.bases:
                    target = project.qualify(mod, base)
                    if isinstance(target, ClassRef):
                        self.subclassed.add(target)

    @functools.cached_property
    def paths(self) -> set[str]:
        return {m.path for m in self.project.modules.values()}

    def _refs(self, mod: SourceModule, names: list[str]) -> set[ClassRef]:
        out = set()
        for name in names:
            target = self.project.qualify(mod, name)
            if isinstance(target, ClassRef):
                out.add(target)
        return out

    @functools.cached_property
    def called(self) -> set[ClassRef]:
        """Classes whose instances are called somewhere in the tree.

        ``Cls(...)(x)``; ``m = Cls(...)`` (or ``self.m = ...``) then ``m(x)`` in the same
        module; ``nn.Sequential(Cls(...))``, ``keras.Sequential([Cls()])`` and
        ``model.add(Cls())``, which call their children.
        """
        return self._containers[0]

    @functools.cached_property
    def listed(self) -> set[ClassRef]:
        """Classes put into an ``nn.ModuleList``/``ModuleDict`` (usually to be called)."""
        return self._containers[1]

    @functools.cached_property
    def _containers(self) -> tuple[set[ClassRef], set[ClassRef]]:
        called: set[ClassRef] = set()
        listed: set[ClassRef] = set()
        for mod in self.project.modules.values():
            called |= self._refs(mod, mod.summary.called)
            for container, kids in mod.summary.containers:
                target = self.project.qualify(mod, container)
                if container.endswith(".add") or (
                    isinstance(target, str) and (target in _SEQUENTIAL or _keras_container(target))
                ):
                    called |= self._refs(mod, kids)
                elif isinstance(target, str) and target in _LISTS:
                    listed |= self._refs(mod, kids)
        return called, listed

    @functools.cached_property
    def instantiated(self) -> set[ClassRef]:
        """Classes constructed somewhere in the tree (``Cls(...)``)."""
        made: set[ClassRef] = set()
        for mod in self.project.modules.values():
            made |= self._refs(mod, mod.summary.made)
        return made

    @functools.cached_property
    def built_functional(self) -> set[ClassRef]:
        """Classes constructed as ``Cls(inputs=..., outputs=...)`` or ``Cls(inputs, outputs)``.

        Two positional arguments only count for a class with no ``__init__`` of its own
        (or of a local base): they reach ``Model.__init__(inputs, outputs)`` unchanged.
        """
        made: set[ClassRef] = set()
        for mod in self.project.modules.values():
            for tagged in mod.summary.functional:
                how, _, name = tagged.partition(":")
                for ref in self._refs(mod, [name]):
                    if how == "kw" or not self.facts(ref).has_init:
                        made.add(ref)
        return made

    @functools.cached_property
    def uses(self) -> dict[ClassRef, set[str]]:
        """Model methods called on bound instances (``model.predict``, ``model.save``)."""
        out: dict[ClassRef, set[str]] = {}
        for mod in self.project.modules.values():
            for name, method in mod.summary.uses:
                target = self.project.qualify(mod, name)
                if isinstance(target, ClassRef):
                    out.setdefault(target, set()).add(method)
        return out

    @functools.cached_property
    def applied(self) -> tuple[set[ClassRef], set[ClassRef]]:
        """autograd.Functions whose ``.apply`` appears (with gradients, under no_grad)."""
        grad: set[ClassRef] = set()
        nograd: set[ClassRef] = set()
        for mod in self.project.modules.values():
            grad |= self._refs(mod, mod.summary.apply_grad)
            nograd |= self._refs(mod, mod.summary.apply_nograd)
        return grad, nograd

    @functools.cached_property
    def nonplain_args(self) -> dict[ClassRef, set[str]]:
        """Constructor arguments given a call or lambda somewhere (not plain config)."""
        out: dict[ClassRef, set[str]] = {}
        for mod in self.project.modules.values():
            for name, key in mod.summary.nonplain_args:
                target = self.project.qualify(mod, name)
                if isinstance(target, ClassRef):
                    out.setdefault(target, set()).add(key)
        return out

    @functools.cached_property
    def tree_keras2(self) -> bool:
        """Files of the tree import Keras-2-only modules and none Keras-3-only ones."""
        marks = {m.summary.keras for m in self.project.modules.values()} - {""}
        return marks == {"2"}

    def is_keras2(self, mod: SourceModule, target: str) -> bool:
        """Whether the Keras base ``target`` (qualified), seen in ``mod``, is Keras 2."""
        if target.startswith(_KERAS2_PREFIXES):
            return True
        if target.startswith("tensorflow."):
            return self.keras.tf_keras is None or self.keras.tf_keras < 3
        if self.keras.standalone is not None:
            return self.keras.standalone < 3
        if mod.summary.keras:
            return mod.summary.keras == "2"
        return self.tree_keras2

    def _shim(self, facts: ClassFacts) -> bool:
        """``__new__`` returns another class's instance (a deprecation alias), so this
        class's own ``__init__``/``forward`` never matter, when that class is not lacking."""
        for name in facts.cls.new_returns:
            if name.startswith("@"):
                raw = name[1:]
                full = _absolute(facts.module.package, raw) if raw.startswith(".") else raw
                target: ClassRef | str | None = self.project.resolve_qualified(full)
            else:
                target = self.project.qualify(facts.module, name)
            if target == facts.ref:
                continue  # returns its own kind: not a shim
            if isinstance(target, ClassRef):
                other = self.facts(target)
                if not other.unknown and not {"forward", "call", "__call__"} & other.names:
                    continue  # the class it hands out lacks the method too
            return True
        return False

    def all_classes(self) -> list[ClassFacts]:
        return [self.facts(ClassRef(m.name, c)) for m in self.project.modules.values() for c in m.classes]

    def facts(self, ref: ClassRef) -> ClassFacts:
        if ref in self._facts:
            return self._facts[ref]
        mod = self.project.modules[ref.module]
        facts = ClassFacts(ref=ref, cls=mod.classes[ref.name], module=mod)
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
        cls, mod = facts.cls, facts.module
        inherited_abstract: set[str] = set()
        meta = self.project.qualify(mod, cls.metaclass)
        if isinstance(meta, str) and meta.endswith("ABCMeta"):
            facts.declares_abstract = facts.abcmeta = True
        facts.functional = cls.init is not None and cls.init.functional
        facts.has_init = cls.init is not None
        for base in cls.bases:
            target = self.project.qualify(mod, base)
            if isinstance(target, ClassRef):
                parent = self.facts(target)
                facts.roles |= parent.roles
                facts.unknown |= parent.unknown
                facts.names |= parent.names
                facts.functional |= parent.functional
                facts.has_init |= parent.has_init
                facts.keras2 |= parent.keras2
                facts.shim |= parent.shim
                facts.abcmeta |= parent.abcmeta
                inherited_abstract |= parent.abstract
                continue
            role = classify(target) if isinstance(target, str) else None
            if role is None:
                facts.unknown = True
            elif role == "abc":
                facts.declares_abstract = facts.abcmeta = True
            elif role != "neutral":
                facts.roles.add(role)
                if role.startswith("keras") and isinstance(target, str) and self.is_keras2(mod, target):
                    facts.keras2 = True
        own_abstract = set(cls.abstract)
        concrete_own = (set(cls.own) - own_abstract) | set(cls.dynamic)
        facts.declares_abstract |= bool(own_abstract)
        facts.abstract = (inherited_abstract - concrete_own - facts.names) | own_abstract
        facts.names |= concrete_own
        if cls.new_returns:
            facts.shim = self._shim(facts)
