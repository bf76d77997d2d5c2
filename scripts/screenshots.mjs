// Screenshots of the demo for the README, taken in headless Chromium with Playwright.
//
//   node scripts/screenshots.mjs --modules DIR --url URL --out DIR --username U --password P
//
// scripts/screenshots runs this with playwright-core installed in DIR (.cache/playwright)
// and Home Assistant running the demo at URL. It logs in through the login form, then
// saves dashboard.png (the whole example dashboard), device.png (a miner's device page)
// and config-flow.png (Add integration > Hashwatt) in the output folder.

import path from "node:path";
import { parseArgs } from "node:util";

import { launchChromium, logIn } from "./browser.mjs";

const { values: options } = parseArgs({
  options: {
    modules: { type: "string" },
    url: { type: "string", default: "http://localhost:8123" },
    out: { type: "string" },
    username: { type: "string" },
    password: { type: "string" },
    device: { type: "string", default: "miner-02" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
  },
});
for (const name of ["modules", "out", "username", "password"]) {
  if (!options[name]) throw new Error(`--${name} is required`);
}

const VIEWPORT = { width: 1280, height: 800 };
// The whole dashboard in one picture: wide enough for three columns of sections,
// as tall as the view.
const DASHBOARD_WIDTH = 1920;
const TIMEOUT = 60_000;
// History loads after the cards, and charts draw after that: on a small machine it
// takes a while (a too early picture has empty charts).
const SETTLE_MS = 4_000;
const CHARTS_SETTLE_MS = 20_000;

const browser = await launchChromium({
  modules: options.modules,
  executablePath: options.chromium,
});

try {
  const context = await browser.newContext({
    viewport: VIEWPORT,
    locale: "en-US",
    colorScheme: "light",
  });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on("pageerror", (error) => console.error(`page error: ${error.message}`));

  await logIn(page, options.url, options.username, options.password);

  const shoot = async (name, settle = SETTLE_MS) => {
    await page.waitForTimeout(settle);
    // Out of the way: a pointer left over a button shows it hovered.
    const { width, height } = page.viewportSize();
    await page.mouse.move(width - 1, height / 2);
    const file = path.join(options.out, name);
    await page.screenshot({ path: file });
    console.log(`==> Saved ${file}`);
  };

  // The example dashboard (docs/dashboard.yaml), once its last section and charts are in.
  await page.setViewportSize({ width: DASHBOARD_WIDTH, height: VIEWPORT.height });
  await page.goto(`${options.url}/hashwatt-mine/mine`);
  await page.getByText("Break-even electricity price").waitFor();
  await page.locator("hui-history-graph-card ha-chart-base").first().waitFor();
  const view = await page.locator("hui-sections-view").boundingBox();
  await page.setViewportSize({
    width: DASHBOARD_WIDTH,
    height: Math.ceil(view.y + view.height),
  });
  await shoot("dashboard.png", CHARTS_SETTLE_MS);
  await page.setViewportSize(VIEWPORT);

  // A miner's device page: the frontend knows the devices; find the miner by name.
  const deviceId = await page.evaluate((name) => {
    const devices = document.querySelector("home-assistant").hass.devices;
    const device = Object.values(devices).find(
      (candidate) => (candidate.name_by_user || candidate.name) === name,
    );
    return device?.id;
  }, options.device);
  if (!deviceId) throw new Error(`no device named ${options.device}`);
  await page.goto(`${options.url}/config/devices/device/${deviceId}`);
  await page.getByText("Sensors", { exact: true }).first().waitFor();
  await shoot("device.png");

  // The config flow's first step: the menu of what Hashwatt can add.
  await page.goto(`${options.url}/config/integrations/dashboard/add?domain=hashwatt`);
  // Coming from a link, Home Assistant first asks whether to set it up.
  await page.getByRole("button", { name: "OK" }).click();
  await page.getByText("Add to Hashwatt").waitFor();
  await shoot("config-flow.png");
} finally {
  await browser.close();
}
