"""What we print cannot drive a terminal or a CI runner.

Text that comes from outside (distribution metadata, GPU names, paths, lock and
requirement files, tracebacks, interpreter answers) may carry control sequences:
an OSC 52 that writes the clipboard, ``ESC[2J`` that clears the screen, or a
newline followed by ``::add-mask::`` that GitHub Actions runs as a workflow
command. Two functions, one for each level:

- :func:`clean` for one outside value in a text cell or line: every control
  character shown as a visible escape (``\\n``, ``\\u001b``), so a value is
  always one line.
- :func:`clean_output` for a whole text document just before it is written
  (:func:`compataudit.files.write_output` calls it for every format): control
  characters other than newline and tab escaped (our own colour codes kept when
  asked), and no line that a CI runner would read as a command unless the
  format is made of them (``--format github``).

The escapes are JSON string escapes (``\\u001b``), so the document pass leaves
a JSON document meaning exactly what it did. Standard library only.
"""

from __future__ import annotations

import re

# Unicode bidirectional overrides and isolates reorder what a terminal shows
# ("Trojan Source"); line and paragraph separators break lines in some viewers.
_INVISIBLE = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029\ufeff"
_CONTROLS = "".join(chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))) + _INVISIBLE
_VALUE_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_VALUE_CONTROL = re.compile(f"[{re.escape(_CONTROLS)}]")
_DOC_CONTROL = re.compile(f"[{re.escape(_CONTROLS.replace(chr(10), '').replace(chr(9), ''))}]")
_SGR = re.compile(r"\x1b\[[0-9;]*m")
# Azure Pipelines reads ``##vso[`` anywhere in a line; GitHub Actions reads ``::`` at
# the start of a line after leading white space (and ``##[`` is Azure's formatting).
_VSO = re.compile(r"##(?=vso\[)", re.IGNORECASE)
_LINE_COMMAND = re.compile(r"^([ \t]*)(::|##\[)", re.MULTILINE)


def _escape(char: str) -> str:
    return _VALUE_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def clean(value: object) -> str:
    """One outside value, safe in a line of text: one line, every control character
    visible (``\\n``, ``\\u001b``), no ``##vso[`` command. ``None`` is the empty string."""
    text = "" if value is None else str(value)
    text = _VALUE_CONTROL.sub(lambda m: _escape(m.group()), text)
    return _VSO.sub("#\\\\u0023", text) if "#" in text else text


def clean_markdown(value: object) -> str:
    """One outside value in Markdown prose: :func:`clean`, then raw HTML escaped (``<``
    starts every tag and comment; ``>=`` in a version range stays readable)."""
    return clean(value).replace("<", "&lt;")


def clean_output(text: str, *, color: bool = False, commands: bool = False) -> str:
    """A whole rendered document, safe to write: control characters other than
    newline and tab escaped (``color`` keeps SGR colour codes, nothing else),
    ``##vso[`` neutralised anywhere, and - unless ``commands`` (the format *is*
    workflow commands) - no line that starts with ``::`` or ``##[``."""
    if color:
        parts = _SGR.split(text)
        codes = _SGR.findall(text)
        cleaned = [_DOC_CONTROL.sub(lambda m: _escape(m.group()), p) for p in parts]
        text = "".join(c + (codes[i] if i < len(codes) else "") for i, c in enumerate(cleaned))
    else:
        text = _DOC_CONTROL.sub(lambda m: _escape(m.group()), text)
    if "#" in text:
        text = _VSO.sub("#\\\\u0023", text)
    if not commands and (":" in text or "#" in text):
        text = _LINE_COMMAND.sub(
            lambda m: m.group(1) + "\\u" + f"{ord(m.group(2)[0]):04x}" + m.group(2)[1:], text
        )
    return text
