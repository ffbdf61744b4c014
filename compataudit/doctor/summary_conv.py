"""Conv weights with a literal shape, for the ``conv-weight-shape`` rule (see summary.py)."""

from __future__ import annotations

import ast

from compataudit.doctor.summary_init import dotted

# self.w = nn.Parameter(torch.randn(<literal>)): attr -> (shape, line, wrapper, factory)
Shapes = dict[str, tuple[list[int], int, str, str]]
Convs = list[tuple[int, str, str]]  # (line, conv op, weight attribute)

_FACTORIES = frozenset({"randn", "rand", "zeros", "ones", "empty", "Tensor", "FloatTensor", "full"})


def _literal_shape(call: ast.Call) -> list[int] | None:
    """The literal shape given to a tensor factory, or None when it is not literal."""
    args: list[ast.expr] = list(call.args)
    if isinstance(call.func, ast.Attribute) and call.func.attr == "full":
        args = args[:1]  # torch.full(size, fill_value)
    size = next((k.value for k in call.keywords if k.arg == "size"), None)
    if size is not None:
        args = [size]
    if len(args) == 1 and isinstance(args[0], (ast.Tuple, ast.List)):
        args = list(args[0].elts)
    dims: list[int] = []
    for a in args:
        if not (isinstance(a, ast.Constant) and isinstance(a.value, int)) or isinstance(a.value, bool):
            return None
        dims.append(a.value)
    return dims or None


def conv_facts(assigns: list[ast.Assign], calls: list[ast.Call]) -> tuple[Shapes, Convs]:
    """The literal-shape Parameters of a class body and the conv calls that use them."""
    shapes: Shapes = {}
    convs: Convs = []
    for sub in assigns:
        if len(sub.targets) != 1:
            continue
        target, value = sub.targets[0], sub.value
        if not (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
            and isinstance(value, ast.Call)
            and value.args
            and isinstance(value.args[0], ast.Call)
        ):
            continue
        wrapper, factory = dotted(value.func), dotted(value.args[0].func)
        if not wrapper or not factory or factory.rsplit(".", 1)[-1] not in _FACTORIES:
            continue
        shape = _literal_shape(value.args[0])
        if shape is not None:
            shapes[target.attr] = (shape, sub.lineno, wrapper, factory)
    if not shapes:
        return shapes, convs
    for call in calls:
        op = dotted(call.func)
        if not op or "conv" not in op.rsplit(".", 1)[-1]:
            continue
        weight = (
            call.args[1]
            if len(call.args) > 1
            else next((k.value for k in call.keywords if k.arg == "weight"), None)
        )
        if (
            isinstance(weight, ast.Attribute)
            and isinstance(weight.value, ast.Name)
            and weight.value.id == "self"
            and weight.attr in shapes
        ):
            convs.append((call.lineno, op, weight.attr))
    return shapes, convs
