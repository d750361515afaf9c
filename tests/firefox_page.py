"""The browser app in Debian's Firefox ESR, driven over WebDriver BiDi
(Firefox's own remote protocol: no geckodriver) by puppeteer-core in a
node process: the part of Playwright's ``Page`` that tests/web_page.py's
helpers use, so that one annotator's steps read the same in both browsers."""

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


class FirefoxBrowser:
    """Firefox over a node process, one page open at a time; :meth:`close` ends both."""

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

    def close(self) -> None:
        self.process.stdin.close()
        if self.process.wait(timeout=30):
            raise RuntimeError(f"the Firefox bridge ended with status {self.process.returncode}")


class FirefoxPage:
    """A page of ``browser`` in a fresh browser context (its own storage); :meth:`close` closes the context."""

    def __init__(self, browser: FirefoxBrowser, viewport: dict[str, int]):
        self.browser = browser
        self.mouse = Mouse(self)
        self.call("open", viewport["width"], viewport["height"])

    def call(self, name: str, *args):
        return self.browser.call(name, *args)

    def close(self) -> None:
        self.call("close")

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

    def touch(self, points: list[tuple[float, float]]) -> None:
        """One finger down at the first (x, y) point of the page, along the others, and up."""
        self.call("touch", points)

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
    """One Firefox for the module's tests (each page in a context of its own); skips where there is no Firefox."""
    if FIREFOX is None:
        pytest.skip("no firefox-esr on this machine (`make system-packages` installs Debian's)")
    browser = FirefoxBrowser(request.getfixturevalue("web_tree") / "web" / "node_modules")
    yield browser
    browser.close()


def open_firefox(request, device: str) -> FirefoxPage:
    """A Firefox page at the size of ``device`` (of web_page.DEVICES), in the module's Firefox."""
    from web_page import DEVICES

    return FirefoxPage(request.getfixturevalue("firefox_browser"), DEVICES[device]["viewport"])


@pytest.fixture
def firefox(request):
    """A Firefox page at the size of a device of web_page.DEVICES (the
    fixture's param; a desktop's without one)."""
    page = open_firefox(request, getattr(request, "param", "desktop-mouse"))
    yield page
    page.close()
