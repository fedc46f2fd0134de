// Drives the built demo (dist/) in headless Chromium through playwright-core, with the system's browser
// (CHROMIUM or /usr/bin/chromium; nothing is downloaded): types each sentence, clicks Classify, and prints
// one JSON object {sentence, label, scores, ms} per sentence on stdout.
//   node test/demo_test.mjs [--screenshot out.png] [--sentences file.json]
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "../serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const sentences = arg("--sentences") ? JSON.parse(readFileSync(arg("--sentences"), "utf8")) : [
  "A gorgeous, witty, seductive movie.",
  "The plot is a tired, predictable mess.",
  "It is not a bad film, just a forgettable one.",
];
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
if (!existsSync(executablePath)) {
  console.error(`No Chromium at ${executablePath}: install Debian's chromium or set CHROMIUM to a browser binary.`);
  process.exit(2);
}

const server = await serve(join(here, "..", "dist"), 0);
const browser = await chromium.launch({
  executablePath, headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
});
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 760 } });
  const external = [];
  page.on("request", (r) => { if (!r.url().startsWith("http://127.0.0.1:")) external.push(r.url()); });
  page.on("console", (m) => { if (m.type() === "error") console.error(`page: ${m.text()}`); });
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => window.eelbertDemo !== undefined, null, { timeout: 60_000 });
  const state = await page.evaluate(() => window.eelbertDemo);
  if (!state.ready) throw new Error(`the page failed to load the model: ${state.error}`);
  for (const sentence of sentences) {
    await page.fill("#text", sentence);
    await page.click("#classify");
    await page.waitForSelector("#result:not([hidden])");
    const label = await page.textContent("#label");
    const { scores, ms } = await page.evaluate((s) => window.eelbertDemo.classify(s), sentence);
    console.log(JSON.stringify({ sentence, label, scores, ms }));
  }
  if (external.length) throw new Error(`the page fetched from outside this server: ${external.join(", ")}`);
  if (arg("--screenshot")) await page.screenshot({ path: arg("--screenshot") });
} finally {
  await browser.close();
  server.close();
}
