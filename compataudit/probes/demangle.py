"""C++ symbol names as a person reads them: ``_ZN3c104impl...`` -> ``c10::impl::...``.

Uses the C++ runtime's own demangler (``__cxa_demangle`` in libstdc++, loaded
once through ctypes; no process is started). Where there is none, the mangled
name is returned unchanged.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable
from typing import Any

_Demangler = Callable[[bytes], "str | None"]


@functools.lru_cache(maxsize=1)
def _demangler() -> _Demangler | None:
    for name in ("libstdc++.so.6", ctypes.util.find_library("stdc++"), ctypes.util.find_library("c++")):
        if not name:
            continue
        try:
            cxa_demangle = ctypes.CDLL(name).__cxa_demangle
            free = ctypes.CDLL(None).free
        except (OSError, AttributeError):
            continue
        cxa_demangle.restype = ctypes.c_void_p
        int_pointer = ctypes.POINTER(ctypes.c_int)
        cxa_demangle.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p, int_pointer]
        free.argtypes = [ctypes.c_void_p]
        free.restype = None
        return _runner(cxa_demangle, free)
    return None


def _runner(cxa_demangle: Any, free: Any) -> _Demangler:
    def run(mangled: bytes) -> str | None:
        status = ctypes.c_int(0)
        pointer = cxa_demangle(mangled, None, None, ctypes.byref(status))
        if status.value != 0 or not pointer:
            return None
        try:
            return ctypes.string_at(pointer).decode("utf-8", "replace")
        finally:
            free(pointer)

    return run


def demangle(symbol: str) -> str:
    """The readable form of an Itanium-mangled C++ symbol; anything else unchanged."""
    if not symbol.startswith("_Z"):
        return symbol
    func = _demangler()
    if func is None:
        return symbol
    try:
        return func(symbol.encode("utf-8", "surrogateescape")) or symbol
    except (OSError, ValueError):
        return symbol
