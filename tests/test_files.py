"""Reading named files and writing output atomically."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import pytest

from compataudit.errors import CompatAuditError
from compataudit.files import read_text_input, write_output


def test_write_output_is_atomic(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    write_output('{"a": 1}', str(target))
    assert json.loads(target.read_text()) == {"a": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]
    with pytest.raises(CompatAuditError, match="does not exist"):
        write_output("x", str(tmp_path / "missing" / "out.json"))


def test_write_output_to_a_stream() -> None:
    out = io.StringIO()
    write_output("text", None, stream=out)
    assert out.getvalue() == "text\n"


def test_read_text_input_errors(tmp_path: Path) -> None:
    with pytest.raises(CompatAuditError, match="no such file"):
        read_text_input(str(tmp_path / "nope"), "requirements file")
    with pytest.raises(CompatAuditError, match="is a directory"):
        read_text_input(str(tmp_path), "requirements file")


def test_a_new_output_file_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_output("{}", str(tmp_path / "report.json"))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "report.json").stat().st_mode) == 0o644  # not mkstemp's 0600


def test_a_replaced_output_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    target.chmod(0o664)  # group-writable, for the fleet collector
    write_output("new", str(target))
    assert target.read_text() == "new\n" and stat.S_IMODE(target.stat().st_mode) == 0o664


def test_the_temporary_file_goes_whatever_the_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_output("x", str(tmp_path / "out.json"))
    assert list(tmp_path.iterdir()) == []


def test_a_stdout_that_cannot_encode_the_markers_gets_ascii() -> None:
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="ascii")
    write_output("✗ torch → 2.5 · ✔ ok — café", None, stream=out)
    assert raw.getvalue() == b"x torch -> 2.5 - ok ok -- caf?\n"


# --------------------------------------------------------------------------- hostile input, round 2


def test_write_output_writes_through_a_fifo(tmp_path: Path) -> None:
    import threading

    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_output("report", str(fifo))
    reader.join(5)
    assert got == [b"report\n"] and stat.S_ISFIFO(fifo.lstat().st_mode)


def test_write_output_keeps_a_link_to_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text("old")
    (tmp_path / "link.txt").symlink_to("real.txt")
    write_output("new", str(tmp_path / "link.txt"))
    assert (tmp_path / "link.txt").is_symlink() and (tmp_path / "real.txt").read_text() == "new\n"


def test_write_output_to_a_full_device_is_an_error_and_leaves_it(tmp_path: Path) -> None:
    (tmp_path / "full").symlink_to("/dev/full")
    with pytest.raises(CompatAuditError, match="No space left on device"):
        write_output("x", str(tmp_path / "full"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full"]
    assert Path("/dev/full").is_char_device()


def test_write_output_takes_a_255_byte_name(tmp_path: Path) -> None:
    name = "é" * 127 + "x"  # 255 bytes in UTF-8
    assert len(name.encode()) == 255
    write_output("x", str(tmp_path / name))
    assert (tmp_path / name).read_text() == "x\n"


def test_write_output_to_a_closed_stdout_is_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdout", None)
    write_output("nobody reads this", None)


def test_write_output_escapes_control_characters() -> None:
    out = io.StringIO()
    write_output("torch 2.5.1\x1b]52;c;aGk=\x07\n::add-mask::x", None, stream=out)
    assert out.getvalue() == "torch 2.5.1\\u001b]52;c;aGk=\\u0007\n\\u003a:add-mask::x\n"


def test_read_limited_refuses_a_device_and_caps_a_file(tmp_path: Path) -> None:
    from compataudit.files import read_limited

    with pytest.raises(CompatAuditError, match="not a regular file"):
        read_limited("/dev/zero", "-r")
    (tmp_path / "big").write_bytes(b"x" * 2048)
    with pytest.raises(CompatAuditError, match="more than the 1024"):
        read_limited(tmp_path / "big", "-r", limit=1024)
    assert read_limited(tmp_path / "big", "-r") == b"x" * 2048


def test_read_limited_gives_up_on_a_silent_fifo(tmp_path: Path) -> None:
    import time

    from compataudit.files import read_limited

    os.mkfifo(tmp_path / "silent")
    start = time.monotonic()
    with pytest.raises(CompatAuditError, match="pipe"):
        read_limited(tmp_path / "silent", "-r", timeout=0.3)
    assert time.monotonic() - start < 3


def test_read_limited_reads_a_pipe_once(tmp_path: Path) -> None:
    import threading

    from compataudit.files import read_limited

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    threading.Thread(target=lambda: fifo.write_bytes(b"torch==2.5.1\n")).start()
    assert read_limited(fifo, "-r") == b"torch==2.5.1\n"
    assert read_limited(fifo, "-r") == b"torch==2.5.1\n"  # the second read: what the first got


def test_read_regular_skips_what_is_not_a_file(tmp_path: Path) -> None:
    from compataudit.files import read_regular

    os.mkfifo(tmp_path / "METADATA")
    with pytest.raises(OSError, match="not a regular file"):
        read_regular(tmp_path / "METADATA")
    (tmp_path / "zero").symlink_to("/dev/zero")
    with pytest.raises(OSError, match="not a regular file"):
        read_regular(tmp_path / "zero")
    (tmp_path / "ok").write_bytes(b"0123456789")
    assert read_regular(tmp_path / "ok", 4, head=True) == b"0123"
    with pytest.raises(OSError, match="bigger than 4"):
        read_regular(tmp_path / "ok", 4)


def test_write_output_to_a_fifo_nobody_reads_gives_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("compataudit.files.PIPE_TIMEOUT_S", 0.3)
    os.mkfifo(tmp_path / "out.fifo")
    with pytest.raises(CompatAuditError, match="no process reads it"):
        write_output("x", str(tmp_path / "out.fifo"))
