// What the browser scripts share: headless Debian Chromium through playwright-core,
// and Home Assistant's login form.
//
//   import { launchChromium, logIn } from "./browser.mjs";
//
// scripts/browser-setup installs both (playwright-core into .cache/playwright).

import { createRequire } from "node:module";
import path from "node:path";

// Without the background-networking flags Chromium keeps calling Google's servers;
// as root it runs only without its sandbox.
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Start Chromium with playwright-core from `modules` (a `npm install --prefix` folder). */
export async function launchChromium({ modules, executablePath = "/usr/bin/chromium" }) {
  const { chromium } = createRequire(path.join(path.resolve(modules), "/"))(
    "playwright-core",
  );
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

/** Log in the way a person does; resolves once the sidebar is there. */
export async function logIn(page, url, username, password) {
  await page.goto(url);
  await page.locator("input[name=username]").fill(username);
  await page.locator("input[name=password]").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.locator("ha-sidebar").waitFor();
}
