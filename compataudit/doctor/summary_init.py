"""What a class's ``__init__`` does, in the compact form lint keeps (see summary.py)."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
# Annotation names that only admit values Keras 3 can record as plain config.
_PLAIN_TYPES = frozenset(
    {
        "int",
        "float",
        "str",
        "bool",
        "None",
        "Optional",
        "Union",
        "list",
        "tuple",
        "dict",
        "List",
        "Tuple",
        "Dict",
        "Sequence",
        "Literal",
        "Any",
        "typing",
    }
)


@dataclass(slots=True)
class InitFacts:
    """The ``__init__`` of one class."""

    line: int
    params: list[str] = field(default_factory=list)  # without self; "*args" for a vararg
    annotations: dict[str, str] = field(default_factory=dict)  # param -> dotted annotation
    nonplain: list[str] = field(default_factory=list)  # params annotated with a non-plain type
    # Base-class __init__ calls: (line, form) with form "super" (zero-arg), "super1"
    # (one-arg super(Cls)), "super2:<first arg>", "explicit:<Base>" or "other".
    base_calls: list[tuple[int, str]] = field(default_factory=list)
    functional: bool = False  # the base __init__ gets inputs and outputs (Keras functional)
    via_helper: bool = False  # calls a self.method that may run the base __init__
    # self.attr = value: (line, callee when value is a call, param name when it is one)
    assigns: list[tuple[int, str, str]] = field(default_factory=list)


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


def _base_form(call: ast.Call) -> str:
    value = call.func.value if isinstance(call.func, ast.Attribute) else None
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super":
        if not value.args:
            return "super"
        if len(value.args) == 1:
            return "super1"
        return "super2:" + (dotted(value.args[0]) or "")
    name = dotted(value) if value is not None else None
    return "explicit:" + name if name else "other"


def _is_base_init(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and call.func.attr == "__init__"


def param_nonplain(annotation: ast.expr | None) -> bool:
    """Whether an annotation names a type Keras 3 cannot record as plain config."""
    if annotation is None:
        return False
    if isinstance(annotation, ast.Constant):  # a string annotation: look at its words
        text = str(annotation.value)
        words = text.replace("[", " ").replace("]", " ").replace("|", " ").replace(",", " ")
        return any(w.rsplit(".", 1)[-1] not in _PLAIN_TYPES for w in words.split())
    return any(
        (dotted(sub) or "").rsplit(".", 1)[-1] not in _PLAIN_TYPES
        for sub in ast.walk(annotation)
        if isinstance(sub, (ast.Name, ast.Attribute))
    )


def init_facts(
    fn: FunctionNode, methods: dict[str, FunctionNode], calls: list[ast.Call], assigns: list[ast.Assign]
) -> InitFacts:
    facts = InitFacts(fn.lineno)
    args = fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs
    for a in args[1:] if args and args[0].arg in {"self", "cls"} else args:
        facts.params.append(a.arg)
        if a.annotation is not None:
            facts.annotations[a.arg] = dotted(a.annotation) or ""
            if param_nonplain(a.annotation):
                facts.nonplain.append(a.arg)
    if fn.args.vararg:
        facts.params.append("*" + fn.args.vararg.arg)
    for call in calls:  # the calls and assignments are those inside fn already
        if _is_base_init(call):
            form = _base_form(call)
            facts.base_calls.append((call.lineno, form))
            kws = {k.arg for k in call.keywords}
            positional = len(call.args) - (1 if form.startswith("explicit:") else 0)
            if "outputs" in kws or positional >= 2:
                facts.functional = True
        elif (
            isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id == "self"
        ):
            helper = methods.get(call.func.attr)
            if helper is None or any(_is_base_init(c) for c in ast.walk(helper) if isinstance(c, ast.Call)):
                facts.via_helper = True
    params = set(facts.params)
    for sub in assigns:
        if not any(
            isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"
            for t in sub.targets
        ):
            continue
        value = sub.value
        callee = (dotted(value.func) or "") if isinstance(value, ast.Call) else ""
        param = value.id if isinstance(value, ast.Name) and value.id in params else ""
        facts.assigns.append((sub.lineno, callee, param))
    return facts
