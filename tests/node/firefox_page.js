// Firefox over WebDriver BiDi (puppeteer-core, no geckodriver), driven by
// tests/firefox_page.py: each stdin line is a JSON call {"call": name,
// "args": [...]}, each stdout line its {"value"} or {"error"}. "open" starts a
// page of the given size in a fresh browser context (its own storage), closing
// the one before; the other calls act on that page.
// Usage: node firefox_page.js FIREFOX (puppeteer-core on NODE_PATH).
const readline = require("node:readline");
const puppeteer = require("puppeteer-core");

async function main([executablePath]) {
  const browser = await puppeteer.launch({ browser: "firefox", executablePath, headless: true });
  let context = null;
  let page = null;
  const closePage = async () => {
    if (context) await context.close();
    context = page = null;
  };
  const done = (promise) => promise.then(() => null);
  const calls = {
    version: () => browser.version(),
    open: async (width, height) => {
      await closePage();
      context = await browser.createBrowserContext();
      page = await context.newPage();
      await page.setViewport({ width, height });
    },
    close: closePage,
    evaluate: (expression) => page.evaluate(expression),
    goto: (url) => done(page.goto(url)),
    fill: (selector, value) => done(page.locator(selector).fill(value)),
    click: (selector) => done(page.click(selector)),
    select: (selector, value) => done(page.select(selector, value)),
    waitForFunction: (expression, timeout) => done(page.waitForFunction(expression, { timeout })),
    waitForSelector: (selector, timeout) => done(page.waitForSelector(selector, { timeout })),
    mouse: (action, ...args) => done(page.mouse[action](...args)),
    tap: (selector) => done(page.tap(selector)),
    touch: async ([first, ...rest]) => {
      await page.touchscreen.touchStart(...first);
      for (const point of rest) await page.touchscreen.touchMove(...point);
      await page.touchscreen.touchEnd();
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
