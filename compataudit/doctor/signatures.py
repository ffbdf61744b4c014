"""The knowledge base of ``explain``: real error signatures, as data.

Each :class:`Signature` matches on a *stable fragment* of a message (a regex
that survives wording drift between releases) and/or on traceback *frames*.
Exception classes drift too (the torch dispatcher's "Could not run" was a
RuntimeError before it became NotImplementedError), so ``exceptions`` lists
every class accepted. Named regex groups become facts (``{op}``, ``{cls}``)
that fill the ``fix`` template and feed the analysers in ``crosscheck``.
``sources`` cite the public issues (or the framework source) each signature
was taken from.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from compataudit import doctor as k

GH = "https://github.com/"
RUNTIME_OR_NIE = ("RuntimeError", "NotImplementedError")


@dataclass(frozen=True)
class Signature:
    id: str
    kind: str
    framework: str
    patterns: tuple[str, ...]  # regexes; any one matching is a hit
    summary: str
    fix: str  # a template: {name} is a named group of the matching pattern
    components: tuple[str, ...]
    sources: tuple[str, ...]
    confidence: float = 0.7
    exceptions: tuple[str, ...] = ()  # accepted classes on the matched line; () = any
    frames: tuple[str, ...] = ()  # regexes on `File "...", line N, in fn` lines
    needs_frame: bool = False  # the pattern alone is too generic
    analyzer: str | None = None  # a fact reader in crosscheck.ANALYSERS

    # Compiled on first use, once per process (frozen dataclasses still have a __dict__).
    @functools.cached_property
    def compiled(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, re.M) for p in self.patterns)

    @functools.cached_property
    def compiled_frames(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p) for p in self.frames)


_MODULE_PY = r"torch[/\\]nn[/\\]modules[/\\]module\.py"

SIGNATURES: tuple[Signature, ...] = (
    # ------------------------------------------------------------------ torch: code
    Signature(
        "T1",
        k.MISSING_FORWARD,
        "torch",
        (r"Module \[(?P<cls>[\w.]+)\] is missing the required \"forward\" function",),
        "nn.Module `{cls}` has no `forward` method (missing, misspelt, or indented into __init__).",
        "Define `def forward(self, ...)` in {cls}; run `compataudit lint` on your code to find it.",
        ("torch",),
        (GH + "pytorch/pytorch/issues/74303", GH + "iMED-Lab/ER-Net/issues/2"),
        0.9,
        ("NotImplementedError",),
        (_MODULE_PY + r" in _forward_unimplemented$",),
        analyzer="module_forward",
    ),
    Signature(
        "T1-bare",
        k.MISSING_FORWARD,
        "torch",
        (r"^NotImplementedError:?\s*$",),
        "An nn.Module without `forward` was called (older torch raises a bare NotImplementedError).",
        "Define `forward` in the module named in the frame above the torch frames; run "
        "`compataudit lint` on your code.",
        ("torch",),
        (GH + "pytorch/pytorch/issues/74303", GH + "pytorch/pytorch/issues/13810"),
        0.8,
        ("NotImplementedError",),
        (_MODULE_PY + r" in (_forward_unimplemented|forward)$",),
        needs_frame=True,
    ),
    Signature(
        "T2",
        k.MISSING_METHOD,
        "torch",
        (r"Subclasses of Dataset should implement __getitem__",),
        "A torch Dataset subclass has no `__getitem__` (often a typo such as `__getitem`).",
        "Define `__getitem__(self, index)` (and `__len__`) in your Dataset subclass.",
        ("torch",),
        (GH + "PacktPublishing/PyTorch-Deep-Learning-in-7-Days/issues/7", GH + "pytorch/pytorch/pull/100667"),
        0.9,
        ("NotImplementedError",),
    ),
    Signature(
        "T2-bare",
        k.MISSING_METHOD,
        "torch",
        (r"^NotImplementedError:?\s*$",),
        "A torch Dataset subclass has no `__getitem__` (older torch raises a bare error).",
        "Define `__getitem__(self, index)` (and `__len__`) in your Dataset subclass.",
        ("torch",),
        (GH + "PacktPublishing/PyTorch-Deep-Learning-in-7-Days/issues/7",),
        0.8,
        ("NotImplementedError",),
        (r"torch[/\\]utils[/\\]data[/\\]dataset\.py in __getitem__$",),
        needs_frame=True,
    ),
    Signature(
        "T3",
        k.MISSING_FORWARD,
        "torch",
        (r"You must implement the forward function for custom autograd\.Function",),
        "A custom torch.autograd.Function has no `forward`.",
        "Add `@staticmethod def forward(ctx, ...)` to the Function.",
        ("torch",),
        (GH + "pytorch/pytorch/pull/33142",),
        0.9,
        ("NotImplementedError",),
    ),
    Signature(
        "T4",
        k.MISSING_BACKWARD,
        "torch",
        (
            r"You must implement either the backward or vjp method for your custom "
            r"autograd\.Function",
            r"You must implement the backward function for custom autograd\.Function",
        ),
        "A custom torch.autograd.Function has no `backward` (missing, misspelt or not static) "
        "and gradients flow through it.",
        "Add `@staticmethod def backward(ctx, grad_output)` returning one gradient per input, "
        "or keep the op out of autograd (torch.no_grad / detach).",
        ("torch",),
        (
            GH + "kymatio/murenn/issues/9",
            GH + "NKI-AI/direct/issues/219",
            GH + "PaddlePaddle/PaddleSpatial/issues/306",
        ),
        0.9,
        ("NotImplementedError",),
    ),
    Signature(
        "T5",
        k.MISSING_METHOD,
        "torch",
        (
            r"You must implement the jvp function for custom autograd\.Function to use it with "
            r"forward mode AD",
        ),
        "Forward-mode AD (jvp, jacfwd) runs through a custom autograd.Function without `jvp`.",
        "Implement `@staticmethod def jvp(ctx, *grad_inputs)`, or use reverse mode.",
        ("torch",),
        (GH + "flatironinstitute/pytorch-finufft/issues/110",),
        0.85,
        ("NotImplementedError",),
    ),
    Signature(
        "T6",
        k.API_VERSION_MISMATCH,
        "torch",
        (
            r"it must override the setup_context staticmethod",
            r"setup_context is not implemented",
            r"To use autograd\.Function with vmap, you must either override the vmap staticmethod",
        ),
        "An autograd.Function in the old combined `forward(ctx, ...)` style is used under "
        "torch.func transforms (vmap, grad, jvp), which need the torch >= 2.0 style.",
        "Split the Function into `forward(*args)` + `setup_context(ctx, inputs, output)` and set "
        "`generate_vmap_rule = True`, or avoid torch.func over that op.",
        ("torch",),
        (
            GH + "state-spaces/mamba/issues/239",
            GH + "Dao-AILab/flash-attention/issues/2071",
            GH + "pytorch/pytorch/pull/89859",
        ),
        0.75,
        RUNTIME_OR_NIE,
    ),
    Signature(
        "T7",
        k.NON_STATIC_AUTOGRAD,
        "torch",
        (r"Legacy autograd function with non-static forward method is deprecated",),
        "An old-style autograd.Function (instance methods, called as `MyFn()(x)`): deprecated "
        "(a UserWarning) in torch 1.3 and 1.4, an error from torch 1.5.",
        "Make `forward`/`backward` @staticmethods taking `ctx` and call `MyFn.apply(x)`.",
        ("torch",),
        (
            GH + "NVIDIA/flownet2-pytorch/issues/230",
            GH + "locuslab/mpc.pytorch/issues/33",
            GH + "josipd/torch-two-sample/pull/6",
            GH + "uber-research/UPSNet/issues/98",
        ),
        0.9,
        ("RuntimeError", "UserWarning"),
    ),
    Signature(
        "T18",
        k.MISSING_METHOD,
        "python",
        (
            r"Can't instantiate abstract class (?P<cls>\w+) with(?:out an implementation for)? "
            r"abstract methods? '?(?P<methods>[\w, ']+)",
        ),
        "`{cls}` leaves abstract method(s) {methods} unimplemented.",
        "Implement {methods} in {cls} (for a PyTorch Lightning module on an early-2020 release, "
        "implement `forward` or upgrade pytorch-lightning).",
        ("python",),
        (GH + "Lightning-AI/pytorch-lightning/issues/709", GH + "optuna/optuna/issues/1186"),
        0.8,
        ("TypeError",),
        analyzer="abstract_class",
    ),
    Signature(
        "T19",
        k.MISSING_SUPER_INIT,
        "torch",
        (r"cannot assign (?:module|parameters|buffer) before Module\.__init__\(\) call",),
        "An nn.Module's __init__ assigns a submodule or Parameter before (or without) calling "
        "`super().__init__()`.",
        "Call `super().__init__()` as the first statement of __init__ (not "
        "`super(nn.Module, self).__init__()`).",
        ("torch",),
        (
            GH + "Genentech/gReLU/issues/188",
            GH + "pyg-team/pytorch_geometric/issues/681",
            GH + "javiribera/locating-objects-without-bboxes/issues/50",
        ),
        0.9,
        ("AttributeError",),
    ),
    Signature(
        "T19-late",
        k.MISSING_SUPER_INIT,
        "torch",
        (
            r"object has no attribute '(?:_backward_hooks|_forward_hooks|_forward_pre_hooks|"
            r"_modules|_parameters|_buffers)'",
        ),
        "An nn.Module was used without `super().__init__()` having run.",
        "Call `super().__init__()` as the first statement of the module's __init__.",
        ("torch",),
        (GH + "lightly-ai/lightly/pull/963", GH + "bwconrad/flexivit/issues/1"),
        0.65,
        ("AttributeError",),
    ),
)
