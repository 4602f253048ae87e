/**
 * The app in a real browser: headless Chromium (Debian's `chromium`, driven by playwright-core)
 * types a sentence, waits for the translation, opens the attention heatmap, and a screenshot is kept
 * as a test artifact (build/test-artifacts/serve.png). The browser is installed by CI's set-up
 * (`WITH_BROWSER=1 scripts/setup.sh`); where there is none, the test is skipped and says so.
 */
import assert from "node:assert/strict";
import { loadModelFolder } from "../nmt/io/folder.ts";
import { translate } from "../nmt/decode/translate.ts";
import { createApp } from "../nmt/serve/server.ts";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname);
const MODEL = `${ROOT}tests/fixtures/parity/small`;
const CHROMIUM = Deno.env.get("CHROMIUM") ?? "/usr/bin/chromium";
const ARTIFACTS = `${ROOT}build/test-artifacts`;
const haveBrowser = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();
if (!haveBrowser) console.error(`browser test skipped: no Chromium at ${CHROMIUM} (WITH_BROWSER=1 scripts/setup.sh)`);

Deno.test({
  name: "serve in Chromium: type, see the translation, open the heatmap; no console errors",
  ignore: !haveBrowser,
  sanitizeOps: false, // playwright keeps a pipe to the browser open until close() settles
  sanitizeResources: false,
  async fn() {
    const { chromium } = await import("playwright-core");
    const folder = loadModelFolder(MODEL);
    const sentence = JSON.parse(Deno.readTextFileSync(`${ROOT}tests/fixtures/sentences_en_it.jsonl`).split("\n")[0])
      .en as string;
    const [expected] = await translate(folder, [sentence], { beam: 4, nbest: 4 }); // the page's default decoding
    const app = createApp(folder);
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.handler);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox"] });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
      const problems: string[] = [];
      page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
      page.on("pageerror", (e) => problems.push(e.message));
      await page.goto(`http://127.0.0.1:${server.addr.port}/`);
      // (Waiting with selectors, not page.waitForFunction: the page's CSP rightly forbids eval.)
      await page.locator("#model-info", { hasText: "parameters" }).waitFor();
      assert.match(await page.textContent("#model-info") ?? "", /parameters/);

      await page.type("#source", sentence, { delay: 5 }); // keystrokes, so the debounce is exercised
      await page.waitForSelector("#target:not(:empty)");
      assert.equal(await page.textContent("#target"), expected.text);
      assert.ok(await page.locator("#nbest li").count() >= 1, "the n-best list is shown");

      await page.click("#heatmap-button");
      await page.waitForSelector("#heatmap:not([hidden]) table");
      const rows = await page.locator("#heatmap-grid tr").count();
      assert.ok(rows >= 2, `the heatmap has a header and at least one row (${rows})`);

      await Deno.mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: `${ARTIFACTS}/serve.png`, fullPage: true });
      assert.ok(Deno.statSync(`${ARTIFACTS}/serve.png`).size > 1000);
      assert.deepEqual(problems, [], "no errors in the browser console (CSP violations included)");
    } finally {
      await browser.close();
      await server.shutdown();
    }
  },
});
