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
    # self.attr = value: (line, callee when value is a call, param name when it is one).
    # A local helper method called from __init__ contributes its own assignments, at the
    # line of the call (so "before the base __init__" follows the helper).
    assigns: list[tuple[int, str, str]] = field(default_factory=list)
    # self.register_buffer / register_parameter / add_module / register_module: their lines
    registers: list[int] = field(default_factory=list)


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


# nn.Module methods that store a tensor or a module: they fail before Module.__init__.
_REGISTERS = frozenset({"register_buffer", "register_parameter", "add_module", "register_module"})


def instance_name(fn: FunctionNode) -> str:
    """The name a method calls its instance: the first positional parameter, not always ``self``."""
    args = fn.args.posonlyargs + fn.args.args
    return args[0].arg if args else "self"


def _on(expr: ast.expr, me: str) -> bool:
    return isinstance(expr, ast.Name) and expr.id == me


def _self_assigns(
    fn: FunctionNode, me: str, params: set[str], assigns: list[ast.Assign]
) -> list[tuple[int, str, str]]:
    out: list[tuple[int, str, str]] = []
    for sub in assigns:
        if not any(isinstance(t, ast.Attribute) and _on(t.value, me) for t in sub.targets):
            continue
        value = sub.value
        callee = (dotted(value.func) or "") if isinstance(value, ast.Call) else ""
        param = value.id if isinstance(value, ast.Name) and value.id in params else ""
        out.append((sub.lineno, callee, param))
    return out


def _helper_facts(
    helper: FunctionNode,
    methods: dict[str, FunctionNode],
    line: int,
    depth: int,
    nodes: list[ast.AST] | None = None,
) -> tuple[list[tuple[int, str, str]], list[int]]:
    """What a local helper called at ``line`` assigns and registers, dated at ``line``."""
    me = instance_name(helper)
    if nodes is None:
        nodes = list(ast.walk(helper))
    assigns = [
        (line, c, p)
        for _, c, p in _self_assigns(helper, me, set(), [n for n in nodes if isinstance(n, ast.Assign)])
    ]
    registers: list[int] = []
    for call in (n for n in nodes if isinstance(n, ast.Call)):
        func = call.func
        if isinstance(func, ast.Attribute) and _on(func.value, me):
            if func.attr in _REGISTERS:
                registers.append(line)
            elif depth < 2 and func.attr in methods and methods[func.attr] is not helper:
                more, regs = _helper_facts(methods[func.attr], methods, line, depth + 1)
                assigns += more
                registers += regs
    return assigns, registers


def init_facts(
    fn: FunctionNode, methods: dict[str, FunctionNode], calls: list[ast.Call], assigns: list[ast.Assign]
) -> InitFacts:
    facts = InitFacts(fn.lineno)
    walked: dict[str, list[ast.AST]] = {}  # each helper's nodes, walked once
    me = instance_name(fn)
    for a in (fn.args.posonlyargs + fn.args.args)[1:] + fn.args.kwonlyargs:
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
        elif isinstance(call.func, ast.Attribute) and _on(call.func.value, me):
            if call.func.attr in _REGISTERS:
                facts.registers.append(call.lineno)
                continue
            helper = methods.get(call.func.attr)
            if helper is None:  # inherited or dynamic: it may run the base __init__
                facts.via_helper = True
                continue
            if helper is fn:
                continue
            nodes = walked.get(helper.name)
            if nodes is None:
                nodes = walked[helper.name] = list(ast.walk(helper))
            if any(isinstance(c, ast.Call) and _is_base_init(c) for c in nodes):
                facts.via_helper = True
            else:  # a local helper that sets attributes: follow it
                more, regs = _helper_facts(helper, methods, call.lineno, 1, nodes)
                facts.assigns += more
                facts.registers += regs
    facts.assigns += _self_assigns(fn, me, set(facts.params), assigns)
    facts.assigns.sort()
    return facts
