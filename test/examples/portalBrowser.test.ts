// The portal in a real browser: headless Chromium (Debian's, driven by playwright-core) fills both
// boxes, reads both results and who answered, and saves a screenshot under test-artifacts/.
import { strict as assert } from "node:assert";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { launchChromium } from "../support/browser";
import { type DiscoverySetup, startDiscoverySetup } from "./discoveryFixture";

const ARTIFACTS = join(__dirname, "..", "..", "test-artifacts");

describe("examples/portal in a browser", function () {
  this.timeout(90_000);
  let setup: DiscoverySetup;
  let browser: Browser;

  before(async () => {
    setup = await startDiscoverySetup();
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await setup?.close();
  });

  it("shows the time and the calculation with the containers that answered", async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 640 } });
    // The page must only ever talk to its own server.
    const foreign: string[] = [];
    page.on("request", (req) => {
      if (!req.url().startsWith(setup.portal.url)) foreign.push(req.url());
    });
    await page.goto(setup.portal.url);

    await page.fill("#time-input", "2006-01-02 15:04 MST");
    await page.fill("#tz-input", "Asia/Tokyo");
    await page.click("#time-form button");
    const time = await page.locator("#time-result .value").textContent({ timeout: 10_000 });
    assert.match(time ?? "", /^\d{4}-\d{2}-\d{2} \d{2}:\d{2} JST$/);
    assert.match(
      (await page.locator("#time-result .meta").textContent()) ?? "",
      /^answered by container time-[12] on host host-a at 127\.0\.0\.1:\d+$/,
    );

    await page.fill("#calc-input", "-2^2 + (1.5*4)/3");
    await page.click("#calc-form button");
    assert.equal(await page.locator("#calc-result .value").textContent({ timeout: 10_000 }), "-2");
    assert.match(
      (await page.locator("#calc-result .meta").textContent()) ?? "",
      /^answered by container calc-1 on host host-a at 127\.0\.0\.1:\d+/,
    );

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "portal.png"), fullPage: true });
    assert.deepEqual(foreign, []);
    await page.close();
  });

  it("shows hostile input and error messages as text, never as markup", async () => {
    const page = await browser.newPage();
    let dialogs = 0;
    page.on("dialog", (d) => {
      dialogs++;
      void d.dismiss();
    });
    await page.goto(setup.portal.url);
    await page.fill("#calc-input", "<img src=x onerror=alert(1)>");
    await page.click("#calc-form button");
    const error = await page.locator("#calc-result .error").textContent({ timeout: 10_000 });
    assert.equal(error, 'unexpected character "<" at column 1');
    await page.fill("#time-input", "<b>15:04</b>");
    await page.fill("#tz-input", "UTC");
    await page.click("#time-form button");
    const shown = await page.locator("#time-result .value").textContent({ timeout: 10_000 });
    assert.match(shown ?? "", /^<b>\d{1,2}:\d{2}<\/b>$/);
    assert.equal(await page.locator("#time-result b, #calc-result img").count(), 0);
    assert.equal(dialogs, 0);
    await page.close();
  });
});
