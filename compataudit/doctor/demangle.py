"""C++ symbol names for people: ``_ZN3c104cuda9SetDeviceEi`` -> ``c10::cuda::SetDevice(int)``.

The C++ runtime already ships the Itanium demangler (``__cxa_demangle`` in libstdc++ on
Linux, libc++abi on macOS); it is loaded with ctypes on first use, once per process, and
an undefined-symbol message is the only thing that asks for it. Where no runtime is found
(Windows, a minimal container) the mangled name is kept: the diagnosis never depends on it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import re
from typing import Any

_MANGLED = re.compile(r"_{1,2}Z[\w$.]{1,1000}")


@functools.cache
def _runtime() -> tuple[Any, Any] | None:
    for name in ("stdc++", "c++abi", "c++"):
        found = ctypes.util.find_library(name)
        if not found:
            continue
        try:
            lib = ctypes.CDLL(found)
            libc = ctypes.CDLL(ctypes.util.find_library("c"))
            demangle, free = lib.__cxa_demangle, libc.free
        except (OSError, AttributeError, TypeError):
            continue
        demangle.restype = ctypes.c_void_p
        demangle.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
        free.argtypes = [ctypes.c_void_p]
        free.restype = None
        return demangle, free
    return None


def demangle(symbol: str) -> str | None:
    """The readable C++ name of a mangled ``symbol``; None when it is not one or no runtime demangles."""
    if not _MANGLED.fullmatch(symbol):
        return None
    runtime = _runtime()
    if runtime is None:
        return None
    demangle_fn, free = runtime
    # macOS prints an extra leading underscore (`__ZN...`); the demangler wants one.
    raw = symbol[1:] if symbol.startswith("__Z") else symbol
    status = ctypes.c_int(-1)
    pointer = demangle_fn(raw.encode("ascii", "replace"), None, None, ctypes.byref(status))
    if not pointer:
        return None
    try:
        text = ctypes.string_at(pointer).decode("utf-8", "replace") if status.value == 0 else None
    finally:
        free(pointer)
    return text
