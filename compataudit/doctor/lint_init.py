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


def _assigned_before(f: ClassFacts, index: ClassIndex, init: InitFacts, first: int) -> list[Problem]:
    for line, callee, param in init.assigns:
        if line >= first:
            continue
        what = ""
        severity = E
        if callee and _is_torch_module(index, f, callee):
            what = "a submodule or Parameter"
        elif param and init.annotations.get(param) and _is_torch_module(index, f, init.annotations[param]):
            what = f"the submodule passed in as `{param}`"
        elif param and _module_word(param):
            what, severity = f"`{param}`, which by its name is a submodule,", W
        if what:
            return [
                _problem(
                    f,
                    severity,
                    f"`{f.cls.name}.__init__` assigns {what} (line {line}) before calling the base "
                    f"__init__ (line {first}): AttributeError: cannot assign module before "
                    "Module.__init__() call.",
                    line,
                )
            ]
    return []


def check_super_init(f: ClassFacts, index: ClassIndex) -> list[Problem]:
    if not f.roles & (_TORCH_ROLES | _KERAS_ROLES) or f.cls.init is None:
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
        if init.via_helper or not init.assigns:
            return []  # the base __init__ may run in a helper; or nothing is set
        return [
            _problem(
                f,
                E,
                f"`{f.cls.name}.__init__` assigns attributes but never calls the base class "
                "__init__ (cannot assign module before Module.__init__() call).",
                init.line,
            )
        ]
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
    if f.roles & _TORCH_ROLES:
        return _assigned_before(f, index, init, min(line for line, _ in real))
    return []
