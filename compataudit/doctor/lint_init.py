"""``missing-super-init``: a module's ``__init__`` that does not run the base ``__init__`` first.

Every spelling lint can see: no base call at all (while attributes are set),
the one-argument ``super(Cls).__init__()`` (an unbound super object: the base
``__init__`` never runs), ``super(nn.Module, self).__init__()`` (starts the MRO
search after nn.Module), and a submodule or Parameter (built there, or passed
in) assigned before the base call. Keras layers count whatever path they were
imported from (``keras.engine.topology.Layer``, tf.keras aliases).
"""

from __future__ import annotations

from compataudit.doctor import MISSING_SUPER_INIT, Problem
from compataudit.doctor.classes import ClassFacts, ClassIndex, classify
from compataudit.doctor.resolve import ClassRef
from compataudit.doctor.summary import InitFacts
from compataudit.model import Severity

E, W = Severity.ERROR, Severity.WARNING
_TORCH_ROLES = {"torch-module", "torch-layer"}
_KERAS_ROLES = {"keras-layer", "keras-model", "keras-concrete"}
_TORCH_MODULE_NAMES = {"torch.nn.Module", "torch.nn.modules.module.Module"}
# Parameter names that almost always hold a submodule when passed to __init__.
_MODULE_WORDS = (
    "encoder",
    "decoder",
    "backbone",
    "model",
    "module",
    "net",
    "network",
    "head",
    "block",
    "layer",
    "enc",
    "dec",
    "embedding",
    "embeddings",
)


def _is_torch_module(index: ClassIndex, f: ClassFacts, name: str) -> bool:
    """Whether a callee or annotation names a torch module or Parameter (nn.Linear, MyBlock)."""
    target = index.project.qualify(f.module, name)
    if isinstance(target, ClassRef):
        return bool(index.facts(target).roles & _TORCH_ROLES)
    return (
        isinstance(target, str)
        and target.startswith("torch.nn.")
        and target.rsplit(".", 1)[1][:1].isupper()
        and classify(target) != "neutral"
    )


def _module_word(param: str) -> bool:
    words = param.lower().split("_")
    return words[-1] in _MODULE_WORDS


def _problem(f: ClassFacts, severity: Severity, message: str, line: int) -> Problem:
    return Problem(
        MISSING_SUPER_INIT,
        severity,
        f.module.path,
        line,
        f.cls.name,
        message,
        f"Call `super().__init__()` as the first statement of {f.cls.name}.__init__.",
    )


def _torch_value(f: ClassFacts, index: ClassIndex, init: InitFacts, callee: str, param: str) -> str:
    """What ``Module.__setattr__`` rejects before ``Module.__init__``: a Module, Parameter
    or Buffer (built there, or passed in as one). Plain values, plain tensors, lambdas and
    distributions are stored as ordinary attributes."""
    if callee and _is_torch_module(index, f, callee):
        return "a submodule or Parameter"
    if param and init.annotations.get(param) and _is_torch_module(index, f, init.annotations[param]):
        return f"the submodule passed in as `{param}`"
    return ""


def _keras_value(f: ClassFacts, index: ClassIndex, callee: str) -> bool:
    """A Keras layer or model built here (Keras 2's Model.__setattr__ rejects it early)."""
    target = index.project.qualify(f.module, callee) if callee else None
    if isinstance(target, ClassRef):
        return bool(index.facts(target).roles & _KERAS_ROLES)
    return isinstance(target, str) and classify(target) in _KERAS_ROLES


def _assigned_before(f: ClassFacts, index: ClassIndex, init: InitFacts, first: int | None) -> list[Problem]:
    """A Module/Parameter (or a register_* call) before the base __init__ (``first``; None
    when there is no base call at all)."""
    base = (
        f"before calling the base __init__ (line {first})" if first else "and never calls the base __init__"
    )
    for line in init.registers:
        if first is None or line < first:
            return [
                _problem(
                    f,
                    E,
                    f"`{f.cls.name}.__init__` registers a buffer, parameter or submodule (line {line}) "
                    f"{base}: AttributeError: cannot assign ... before Module.__init__() call.",
                    line if first else init.line,
                )
            ]
    for line, callee, param in init.assigns:
        if first is not None and line >= first:
            continue
        what = _torch_value(f, index, init, callee, param)
        severity = E
        if not what and param and param not in init.annotations and _module_word(param):
            # by its name only: an annotated parameter (`bias_last_layer: bool`) says what it is
            what, severity = f"`{param}`, which by its name is a submodule,", W
        if what:
            return [
                _problem(
                    f,
                    severity,
                    f"`{f.cls.name}.__init__` assigns {what} (line {line}) {base}: "
                    "AttributeError: cannot assign module before Module.__init__() call.",
                    line if first else init.line,
                )
            ]
    return []


def _keras_model_before(f: ClassFacts, index: ClassIndex, init: InitFacts, first: int) -> list[Problem]:
    """Keras 2's Model.__setattr__ raises when a layer is assigned before Model.__init__."""
    for line, callee, _ in init.assigns:
        if line < first and _keras_value(f, index, callee):
            return [
                _problem(
                    f,
                    E,
                    f"`{f.cls.name}.__init__` assigns a Keras layer (line {line}) before calling the "
                    f"base __init__ (line {first}): Keras 2 raises RuntimeError (It looks like you are "
                    "subclassing `Model` and you forgot to call `super().__init__()`).",
                    line,
                )
            ]
    return []


def _keras_without_init(f: ClassFacts, init: InitFacts) -> list[Problem]:
    """A Keras layer whose Layer.__init__ never runs.

    Keras 2 fails when it is called. Keras 3 tracks attributes lazily and only checks
    in its own ``__call__``, ``build``, ``add_weight`` and ``get_config``: a layer that
    overrides ``__call__`` and adds no weights constructs and runs.
    """
    if not f.keras2 and "__call__" in f.names and not f.cls.add_weight:
        return []
    if init.via_helper or not init.assigns:
        return []  # the base __init__ may run in a helper; or nothing is set
    why = (
        "Keras 2 fails when it is called (You must call `super().__init__()` in the layer constructor)"
        if f.keras2
        else "Keras 3 raises RuntimeError when it is called (you forgot to call `super().__init__()`)"
    )
    return [
        _problem(
            f,
            E,
            f"`{f.cls.name}.__init__` assigns attributes but never calls the base class __init__: {why}.",
            init.line,
        )
    ]


def check_super_init(f: ClassFacts, index: ClassIndex) -> list[Problem]:
    if not f.roles & (_TORCH_ROLES | _KERAS_ROLES) or f.cls.init is None or f.shim:
        return []
    init = f.cls.init
    # `super(Cls).__init__()` (one argument) and `super.__init__()` (no parentheses)
    # never reach the base class __init__.
    broken = {"super1", "explicit:super"}
    real = [(line, form) for line, form in init.base_calls if form not in broken]
    unbound = [(line, form) for line, form in init.base_calls if form in broken]
    if unbound and not real:
        line, form = unbound[0]
        spelt = f"super({f.cls.name}).__init__()" if form == "super1" else "super.__init__()"
        what = (
            "has one argument: it builds an unbound super object"
            if form == "super1"
            else "calls __init__ on the `super` type itself (no parentheses after super)"
        )
        return [
            _problem(
                f,
                E,
                f"`{spelt}` in `{f.cls.name}` {what} and never runs the base class __init__ "
                "(then: cannot assign module before Module.__init__() call).",
                line,
            )
        ]
    if not real:
        if init.via_helper:
            return []  # the base __init__ may run in a helper
        if f.roles & _TORCH_ROLES:
            return [] if "__setattr__" in f.names else _assigned_before(f, index, init, None)
        return _keras_without_init(f, init)
    for line, form in real:
        if form.startswith("super2:"):
            named = form[len("super2:") :]
            target = index.project.qualify(f.module, named)
            role = classify(target) if isinstance(target, str) else None
            if (isinstance(target, str) and target in _TORCH_MODULE_NAMES) or role in {
                "keras-layer",
                "keras-model",
            }:
                base = "nn.Module" if role is None else named
                return [
                    _problem(
                        f,
                        E,
                        f"`super({named}, self).__init__()` in `{f.cls.name}` starts the search "
                        f"after {base}, so {base}.__init__ itself never runs (incorrect "
                        "inheritance).",
                        line,
                    )
                ]
    first = min(line for line, _ in real)
    if f.roles & _TORCH_ROLES and "__setattr__" not in f.names:  # its own __setattr__ decides
        return _assigned_before(f, index, init, first)
    if "keras-model" in f.roles and f.keras2:
        return _keras_model_before(f, index, init, first)
    return []
