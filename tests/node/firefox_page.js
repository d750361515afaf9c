// One Firefox over WebDriver BiDi (puppeteer-core, no geckodriver), driven
// by tests/firefox_page.py: each stdin line is a JSON call
// {"call": name, "args": [...]}, each stdout line its {"value"} or {"error"}.
// "open" shows a new page in a fresh user context (its own storage, as a new
// browser profile would have) and closes the one before; the other calls act
// on that page.
// Usage: node firefox_page.js FIREFOX (puppeteer-core on NODE_PATH).
const readline = require("node:readline");
const puppeteer = require("puppeteer-core");

// Firefox's WebDriver has no pen ("Placeholder for future pen type pointer
// support" in its Actions.sys.mjs: a pen's pointerMove throws "Unimplemented").
// The pen's events come from Firefox's own window instead, as Gecko's own pen
// tests send them: mouse events from a pen (MOZ_SOURCE_PEN) with a pressure,
// which Gecko turns into the page's trusted pen pointer events. Reaching that
// window over BiDi takes --remote-allow-system-access.
const PEN = `(points, pressure, origin) => {
  const window = Services.wm.getMostRecentWindow("navigator:browser");
  const tab = window.gBrowser.selectedBrowser;
  if (!tab.currentURI.spec.startsWith(origin)) throw new Error("the page is not the selected tab: " + tab.currentURI.spec);
  const box = tab.getBoundingClientRect();
  const send = (type, [x, y], pressed) => window.synthesizeMouseEvent(type, box.left + x, box.top + y,
    { identifier: 2, button: 0, buttons: pressed ? 1 : 0, clickCount: 1, modifiers: 0,
      pressure: pressed ? pressure : 0, inputSource: MouseEvent.MOZ_SOURCE_PEN },
    { isDOMEventSynthesized: false, isWidgetEventSynthesized: false, isAsyncEnabled: false });
  send("mousemove", points[0], false);  // in range above the glass first
  send("mousedown", points[0], true);
  for (const point of points.slice(1)) send("mousemove", point, true);
  send("mouseup", points.at(-1), false);
}`;

async function main([executablePath]) {
  const browser = await puppeteer.launch({
    browser: "firefox", executablePath, headless: true, args: ["--remote-allow-system-access"],
  });
  const session = (await browser.pages())[0].mainFrame().browsingContext.userContext.browser.session;
  const { result: { contexts: [chrome] } } = await session.send("browsingContext.getTree", { "moz:scope": "chrome" });
  let context = null, page = null;
  // Each finger touching now, by its number: its page (x, y).
  let touching = new Map();
  const done = (promise) => promise.then(() => null);
  const frame = () => page.evaluate("new Promise((shown) => requestAnimationFrame(() => requestAnimationFrame(shown)))");
  const calls = {
    version: () => browser.version(),
    open: async (width, height) => {
      if (context) await context.close();
      context = await browser.createBrowserContext();
      page = await context.newPage();
      await page.setViewport({ width, height });
      await page.bringToFront();
      touching = new Map();
    },
    evaluate: (expression) => page.evaluate(expression),
    goto: (url) => done(page.goto(url)),
    fill: (selector, value) => done(page.locator(selector).fill(value)),
    click: (selector) => done(page.click(selector)),
    select: (selector, value) => done(page.select(selector, value)),
    waitForFunction: (expression, timeout) => done(page.waitForFunction(expression, { timeout })),
    waitForSelector: (selector, timeout) => done(page.waitForSelector(selector, { timeout })),
    mouse: (action, ...args) => done(page.mouse[action](...args)),
    tap: (selector) => done(page.tap(selector)),
    // Fingers frame by frame: each frame maps each finger on the glass then to its (x, y); one missing from a
    // frame has lifted. Each finger is its own BiDi input source, kept between action chains. A finger that
    // lands comes in a chain of its own: Firefox groups a tick's touch moves into one touchmove, and a
    // finger's move to where it lands would join the moves of those already down.
    fingers: async (frames) => {
      const finger = (number, actions) => ({ type: "pointer", id: `finger${number}`,
                                             parameters: { pointerType: "touch" }, actions });
      const perform = (sources) => page.mainFrame().browsingContext.performActions(sources);
      for (const now of frames) {
        const at = new Map(Object.entries(now).map(([number, [x, y]]) => [number, [Math.round(x), Math.round(y)]]));
        const moves = [], landings = [];
        for (const [number, [x, y]] of at) {
          const was = touching.get(number);
          if (!was) landings.push(finger(number, [{ type: "pointerMove", x, y }, { type: "pointerDown", button: 0 }]));
          else if (was[0] !== x || was[1] !== y) moves.push(finger(number, [{ type: "pointerMove", x, y }]));
        }
        for (const number of touching.keys()) {
          if (!at.has(number)) moves.push(finger(number, [{ type: "pointerUp", button: 0 }]));
        }
        if (moves.length) await perform(moves);
        for (const landing of landings) await perform([landing]);
        touching = at;
      }
      await frame();
    },
    pen: async (points, pressure) => {
      const origin = new URL(page.url()).origin;
      const answer = await session.send("script.callFunction", {
        functionDeclaration: PEN, target: { context: chrome.context }, awaitPromise: false,
        arguments: [{ type: "array", value: points.map((point) => ({ type: "array", value: point.map((v) => (
          { type: "number", value: v })) })) }, { type: "number", value: pressure }, { type: "string", value: origin }],
      });
      if (answer.result.type === "exception") throw new Error(answer.result.exceptionDetails.text);
      await frame();
    },
  };
  const reply = (message) => process.stdout.write(JSON.stringify(message) + "\n");
  reply({ value: "ready" });
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const { call, args } = JSON.parse(line);
    try {
      reply({ value: (await calls[call](...args)) ?? null });
    } catch (error) {
      reply({ error: `${call}: ${error.message}` });
    }
  }
  await browser.close();
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
