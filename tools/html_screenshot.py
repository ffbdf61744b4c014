"""Render ``--format html`` in a real headless browser and keep the screenshots.

    python tools/html_screenshot.py [--out docs] [--browser chromium]

Writes two pages - the README's what-if check and a six-node fleet built from the test
snapshot - then opens each in headless Chromium (Debian: ``apt-get install chromium``)
with networking pointed at nowhere, and saves ``html-check.png`` and ``html-fleet.png``.
It fails when the browser cannot render a page or a page asks for anything external.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from compataudit.model import (  # noqa: E402
    Environment,
    Package,
    from_jsonable,
    to_jsonable,
)

WHAT_IF = [
    "--no-probe", "--python", "3.11", "--driver", "470.82.01", "--gpu-cc", "8.6",
    "--pin", "torch==2.5.1+cu124", "--pin", "torchvision==0.19.1",
]  # fmt: skip
SNAPSHOT = ROOT / "tests" / "plan" / "fixtures" / "snapshot_cpu_vm.json"


class _External(HTMLParser):
    """Collects every attribute that would make a browser fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.fetches: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "link", "img", "iframe", "object", "embed"):
            self.fetches.append(f"<{tag}>")
        self.fetches += [f"{tag}[{k}]" for k, v in attrs if k in ("src", "href", "srcset") and v]


def _compataudit(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    # PYTHONPATH: the checkout's compataudit, whichever directory the command runs in
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    return subprocess.run(
        [sys.executable, "-m", "compataudit", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
    )


FLEET_EXPECT = "node-[00-08]"  # node-07 and node-08 send nothing


def _fleet_dir(directory: Path) -> None:
    """Seven nodes from the test snapshot: four alike, one with an older torch, one with an
    older numpy, and one check report on the majority stack whose torch kernel failed."""
    base = from_jsonable(Environment, json.loads(SNAPSHOT.read_text(encoding="utf-8")))
    for i in range(7):
        env = base
        if i == 4:
            env = replace(env, packages=(*env.packages, Package("torch", "2.4.1", "/site")))
        if i == 5:
            env = replace(env, packages=(*env.packages, Package("numpy", "1.26.4", "/site")))
        env = replace(env, platform=replace(env.platform, hostname=f"node-{i:02d}"))
        data: dict[str, object] = to_jsonable(env)
        if i == 6:
            smoke = {"framework": "torch", "device": "cpu", "status": "crash", "detail": "killed by SIGSEGV"}
            data = {"environment": data, "findings": [], "smoke": [smoke]}
        (directory / f"node-{i:02d}.json").write_text(json.dumps(data), encoding="utf-8")


def _screenshot(browser: str, page: Path, png: Path) -> None:
    parser = _External()
    parser.feed(page.read_text(encoding="utf-8"))
    if parser.fetches:
        raise SystemExit(f"{page.name} would fetch: {', '.join(parser.fetches)}")
    cmd = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        "--proxy-server=127.0.0.1:9", "--window-size=1000,1300", f"--screenshot={png}", page.as_uri(),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0 or not png.is_file() or png.stat().st_size < 10_000:
        raise SystemExit(f"{browser} did not render {page.name}: {done.stderr.strip()[-400:]}")
    print(f"{png.relative_to(ROOT) if png.is_relative_to(ROOT) else png}: {png.stat().st_size // 1024} KiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs"))
    parser.add_argument("--browser", default="chromium")
    args = parser.parse_args()
    browser = shutil.which(args.browser)
    if browser is None:
        raise SystemExit(f"{args.browser} not found (Debian: apt-get install chromium)")
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        check_page = Path(tmp) / "check.html"
        # a relative -o: the page shows its command, and a temporary path is nobody's business
        _compataudit("check", *WHAT_IF, "--format", "html", "-o", check_page.name, "-q", cwd=Path(tmp))
        fleet = Path(tmp) / "fleet"
        fleet.mkdir()
        _fleet_dir(fleet)
        fleet_page = Path(tmp) / "fleet.html"
        _compataudit(
            "fleet", str(fleet), "--expect", FLEET_EXPECT, "--format", "html", "-o", str(fleet_page), "-q"
        )
        for page, name in ((check_page, "html-check.png"), (fleet_page, "html-fleet.png")):
            if not page.is_file():
                raise SystemExit(f"compataudit wrote no {page.name}")
            _screenshot(browser, page, out / name)


if __name__ == "__main__":
    main()
