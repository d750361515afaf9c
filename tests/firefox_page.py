"""The browser app in Debian's Firefox ESR, driven over WebDriver BiDi
(Firefox's own remote protocol: no geckodriver) by puppeteer-core in a
node process (tests/node/firefox_page.js): one Firefox for a test module,
a fresh page for each test, with the part of Playwright's ``Page`` that
tests/web_page.py's helpers use, so that one annotator's steps read the
same in both browsers; fingers and a pen as well (see docs/web.md on what
Firefox's WebDriver cannot send)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

FIREFOX = shutil.which("firefox-esr") or shutil.which("firefox")
BRIDGE = Path(__file__).parent / "node" / "firefox_page.js"
# Playwright calls a string that reads as a function; puppeteer evaluates every string as an expression.
FUNCTION = re.compile(r"\s*(async\s+)?(function\b|\([^)]*\)\s*=>|\w+\s*=>)")


class Firefox:
    """One Firefox over a node process, its pages one at a time; :meth:`close` ends both."""

    def __init__(self, node_modules: Path):
        self.process = subprocess.Popen(["node", str(BRIDGE), FIREFOX], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True,
                                        env={**os.environ, "NODE_PATH": str(node_modules)})
        self.read()

    def read(self):
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the Firefox bridge ended with status {self.process.wait()}")
        answer = json.loads(line)
        if "error" in answer:
            raise AssertionError(answer["error"])
        return answer["value"]

    def call(self, name: str, *args):
        self.process.stdin.write(json.dumps({"call": name, "args": args}) + "\n")
        self.process.stdin.flush()
        return self.read()

    def new_page(self, viewport: dict[str, int]) -> FirefoxPage:
        """A page of ``viewport``'s size in a fresh user context (its own storage); the page before is closed."""
        self.call("open", viewport["width"], viewport["height"])
        return FirefoxPage(self)

    def close(self) -> None:
        self.process.stdin.close()
        if self.process.wait(timeout=30):
            raise RuntimeError(f"the Firefox bridge ended with status {self.process.returncode}")


class FirefoxPage:
    """Firefox's open page, with the part of Playwright's ``Page`` that tests/web_page.py uses."""

    def __init__(self, firefox: Firefox):
        self.call = firefox.call
        self.mouse = Mouse(self)

    def goto(self, url: str) -> None:
        self.call("goto", url)

    def fill(self, selector: str, value: str) -> None:
        self.call("fill", selector, value)

    def click(self, selector: str) -> None:
        self.call("click", selector)

    def select_option(self, selector: str, value: str) -> None:
        self.call("select", selector, value)

    def evaluate(self, expression: str, arg=None):
        return self.call("evaluate", expression_of(expression, arg))

    def wait_for_function(self, expression: str, timeout: float = 30000) -> None:
        self.call("waitForFunction", expression_of(expression, None), timeout)

    def wait_for_selector(self, selector: str, timeout: float = 30000) -> None:
        self.call("waitForSelector", selector, timeout)

    def fingers(self, frames: list[dict[int, tuple[float, float]]]) -> None:
        """Fingers on the glass frame by frame (see web_page.fingers)."""
        self.call("fingers", [{str(finger): at for finger, at in frame.items()} for frame in frames])

    def pen(self, points: list[tuple[float, float]], pressure: float) -> None:
        """A pen in range above the first (x, y) point of the page, down there with ``pressure``, along the
        others and up."""
        self.call("pen", points, pressure)

    def tap(self, selector: str) -> None:
        """A finger's tap on the element."""
        self.call("tap", selector)

    def inner_text(self, selector: str) -> str:
        return self.evaluate(f"document.querySelector({json.dumps(selector)}).innerText")


class Mouse:
    def __init__(self, page: FirefoxPage):
        self.page = page

    def move(self, x: float, y: float, steps: int = 1) -> None:
        self.page.call("mouse", "move", x, y, {"steps": steps})

    def down(self) -> None:
        self.page.call("mouse", "down")

    def up(self) -> None:
        self.page.call("mouse", "up")


def expression_of(script: str, arg) -> str:
    if not FUNCTION.match(script):
        return script
    return f"({script})({json.dumps(arg)})"


@pytest.fixture(scope="module")
def firefox_browser(request):
    """One Firefox for the test module; skips where there is no Firefox."""
    if FIREFOX is None:
        pytest.skip("no firefox-esr on this machine (`make system-packages` installs Debian's)")
    browser = Firefox(request.getfixturevalue("web_tree") / "web" / "node_modules")
    yield browser
    browser.close()
