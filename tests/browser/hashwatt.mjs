// Hashwatt in a real browser: headless Chromium against a real Home Assistant.
//
//   node tests/browser/hashwatt.mjs --modules DIR --url URL --username U --password P \
//        --fleet-first-ip 127.0.X.1 --fleet-password PW --scans N --failures DIR
//
// tests/browser/harness.py runs it (scripts/browser-test runs that) against a new
// configuration with the demo miner miner-01 and the pool entries, and a fleet of
// simulated miners in no entry yet, from --fleet-first-ip on, sharing --fleet-password.
// It adds the fleet's first miner by its address (a wrong password first), the others
// by scanning --scans ranges, switches miner-01 off on its device page, and has an
// automation from the "mine while cheap" blueprint switch it on again. Every wait is
// bounded, and so is the whole run; a failed step leaves a screenshot in --failures.

import { mkdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

import { launchChromium, logIn } from "../../scripts/browser.mjs";

const { values: options } = parseArgs({
  options: {
    modules: { type: "string" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
    url: { type: "string" },
    username: { type: "string" },
    password: { type: "string" },
    "fleet-first-ip": { type: "string" },
    "fleet-password": { type: "string" },
    scans: { type: "string", default: "12" },
    failures: { type: "string" },
    // For debugging one part: e.g. --only switch,blueprint.
    only: { type: "string", default: "add,scan,switch,blueprint" },
  },
});
const REQUIRED = ["modules", "url", "username", "password", "fleet-first-ip", "fleet-password"];
for (const name of [...REQUIRED, "failures"]) {
  if (!options[name]) throw new Error(`--${name} is required`);
}
const URL = options.url;
const SCANS = Number(options.scans);
const FLEET_PASSWORD = options["fleet-password"];
const FLEET_PREFIX = options["fleet-first-ip"].split(".").slice(0, 3).join(".");
const PARTS = new Set(options.only.split(","));
const fleetAddress = (index) => `${FLEET_PREFIX}.${index}`; // from 1

// Generous for a busy 2-core machine, but bounded: a hang fails the step.
const STEP_TIMEOUT = 60_000;
// A scan of two loopback addresses takes well under a second; a dialog still showing
// "Looking for Whatsminer miners" after this long hangs.
const SCAN_TIMEOUT = 30_000;
// The mining automation checks every minute (its time pattern), the miner's entry polls
// every 10 s.
const AUTOMATION_TIMEOUT = 150_000;
// A new automation from a blueprint is saved under the blueprint's name.
const AUTOMATION = "Mine while electricity is cheap";
const RUN_TIMEOUT = 8 * 60_000;

let page;
const watchdog = setTimeout(async () => {
  console.error(`FAILED: the run took more than ${RUN_TIMEOUT / 1000} s`);
  mkdirSync(options.failures, { recursive: true });
  const file = path.join(options.failures, "run-timeout.png");
  await page?.screenshot({ path: file, timeout: 10_000 }).catch(() => {});
  process.exit(1);
}, RUN_TIMEOUT);

const browser = await launchChromium({
  modules: options.modules,
  executablePath: options.chromium,
});
page = await (
  await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-US" })
).newPage();
page.setDefaultTimeout(STEP_TIMEOUT);
page.setDefaultNavigationTimeout(STEP_TIMEOUT);
page.on("pageerror", (error) => console.error(`page error: ${error.message}`));

let stepNumber = 0;
async function step(name, action) {
  stepNumber += 1;
  const started = Date.now();
  console.log(`--> ${name}`);
  try {
    await action();
  } catch (error) {
    mkdirSync(options.failures, { recursive: true });
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    const number = String(stepNumber).padStart(2, "0");
    const file = path.join(options.failures, `${number}-${slug}.png`);
    await page.screenshot({ path: file, fullPage: true, timeout: 10_000 }).catch(() => {});
    throw new Error(`step "${name}" failed (screenshot: ${file}): ${error.message}`, {
      cause: error,
    });
  }
  console.log(`    ok (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

/** Fail unless `condition()` holds within `timeout` ms; say what was seen last. */
async function until(what, condition, timeout = STEP_TIMEOUT) {
  const deadline = Date.now() + timeout;
  let seen;
  while (Date.now() < deadline) {
    seen = await condition();
    if (seen === true) return;
    await page.waitForTimeout(500);
  }
  throw new Error(`${what}: not within ${timeout / 1000} s (last seen: ${JSON.stringify(seen)})`);
}

const dialog = () => page.locator("dialog-data-entry-flow");

/** Open Add integration > Hashwatt, as its "add" link does; wait for its menu. */
async function openHashwattFlow() {
  await page.goto(`${URL}/config/integrations/dashboard/add?domain=hashwatt`);
  // Coming from a link, Home Assistant first asks whether to set it up.
  await page.getByRole("button", { name: "OK" }).click();
  await dialog().getByText("Add to Hashwatt").waitFor();
}

/** The Hashwatt entries' titles, from Home Assistant itself. */
async function hashwattEntries() {
  return page.evaluate(async () => {
    const hass = document.querySelector("home-assistant").hass;
    const entries = await hass.callWS({ type: "config_entries/get", domain: "hashwatt" });
    return entries.map((entry) => ({ title: entry.title, state: entry.state }));
  });
}

/** A device's id, by its name, from what the frontend knows. */
async function deviceId(name) {
  const id = await page.evaluate((wanted) => {
    const devices = document.querySelector("home-assistant").hass.devices;
    const named = (device) => (device.name_by_user || device.name) === wanted;
    return Object.values(devices).find(named)?.id;
  }, name);
  if (!id) throw new Error(`no device named ${name}`);
  return id;
}

/** An entity row of a device page's card: `kind` is the row element (toggle, sensor...). */
const deviceRow = (kind, name) =>
  page
    .locator(`${kind} hui-generic-entity-row`)
    .filter({ has: page.getByText(name, { exact: true }) });

/** Pick an entity (of `device`, if given) in the picker of the blueprint input `input`. */
async function pickEntity(input, name, device) {
  const row = page
    .locator("ha-settings-row")
    .filter({ has: page.getByText(input, { exact: true }) });
  await row.locator("ha-entity-picker").first().click();
  // Into the picker's own search field: typed anywhere else, keys are shortcuts.
  const picker = page.locator("ha-picker-combo-box");
  await picker.getByRole("textbox").fill(device ? `${name} ${device}` : name);
  let item = picker
    .locator("ha-combo-box-item")
    .filter({ has: page.getByText(name, { exact: true }) });
  if (device) item = item.filter({ has: page.getByText(device, { exact: true }) });
  await item.click();
}

/** Add the fleet's first miner by its address: a wrong password first. */
async function addByAddress() {
  const host = fleetAddress(1);
  await step(`Add the miner at ${host}: a wrong password is refused`, async () => {
    await openHashwattFlow();
    await dialog().getByText("One Whatsminer miner").click();
    await dialog().getByRole("textbox", { name: "Host" }).fill(host);
    await dialog().getByRole("textbox", { name: "Password" }).fill("not-its-password");
    await dialog().getByRole("button", { name: "Submit" }).click();
    await dialog().getByText("The miner refused this password.").waitFor();
    // Still the same form.
    await dialog().getByText("Add a Whatsminer miner").waitFor();
  });
  await step(`Add the miner at ${host}: the right password creates its entry`, async () => {
    const before = (await hashwattEntries()).length;
    await dialog().getByRole("textbox", { name: "Password" }).fill(FLEET_PASSWORD);
    await dialog().getByRole("button", { name: "Submit" }).click();
    await dialog().getByText("Name and assign").waitFor();
    await dialog().getByText("MicroBT", { exact: true }).waitFor();
    await dialog().getByRole("button", { name: "Skip and finish" }).click();
    await dialog().waitFor({ state: "hidden" });
    await until("one more Hashwatt entry", async () => {
      const entries = await hashwattEntries();
      return entries.length === before + 1 || entries;
    });
  });
}

/**
 * Scan `scan` (from 1) covers one configured miner and one new one (the first, two new
 * ones): the dialog must list exactly the new ones, every time.
 */
async function addByScanning(scan) {
  const range = scan === 1 ? `${fleetAddress(2)}-3` : `${fleetAddress(scan + 1)}-${scan + 2}`;
  const fresh = scan === 1 ? [2, 3] : [scan + 2];
  const addresses = fresh.map(fleetAddress).join(", ");
  await step(`Scan ${scan}/${SCANS}: ${range} finds ${addresses}`, async () => {
    const before = (await hashwattEntries()).length;
    await openHashwattFlow();
    await dialog().getByText("Whatsminer miners in an address range").click();
    await dialog().getByRole("textbox", { name: "Address range" }).fill(range);
    await dialog().getByRole("button", { name: "Submit" }).click();
    // The race this repeats for: a dialog that missed the scan's end keeps saying
    // "Looking for Whatsminer miners" for ever.
    try {
      await dialog().getByText("Choose the miners to add").waitFor({ timeout: SCAN_TIMEOUT });
    } catch (error) {
      if (await dialog().getByText("Looking for Whatsminer miners").isVisible()) {
        throw new Error(
          `the dialog still says "Looking for Whatsminer miners" after ` +
            `${SCAN_TIMEOUT / 1000} s: it missed the scan's end`,
        );
      }
      throw error;
    }
    const found = fresh.length === 1 ? "1 miner that is" : `${fresh.length} miners that are`;
    await dialog().getByText(`Found ${found} not in Home Assistant yet.`).waitFor();
    const listed = dialog().getByRole("checkbox");
    await until(`${fresh.length} miners listed`, async () => {
      const count = await listed.count();
      return count === fresh.length || count;
    });
    for (const index of fresh) {
      await dialog().getByText(`${fleetAddress(index)} —`).waitFor();
    }
    for (let index = 0; index < fresh.length; index += 1) {
      if (!(await listed.nth(index).isChecked())) throw new Error("a found miner is not chosen");
    }
    await dialog().getByRole("textbox", { name: "Password" }).fill(FLEET_PASSWORD);
    await dialog().getByRole("button", { name: "Submit" }).click();
    await dialog().getByText("Name and assign").waitFor();
    const adding = fresh.length === 1 ? "Adding 1 miner." : `Adding ${fresh.length} miners, each`;
    await dialog().getByText(adding).waitFor();
    await dialog().getByRole("button", { name: "Skip and finish" }).click();
    await dialog().waitFor({ state: "hidden" });
    await until(`${fresh.length} more Hashwatt entries`, async () => {
      const entries = await hashwattEntries();
      return entries.length === before + fresh.length || entries.length;
    });
  });
}

/** What miner-01's device page shows: whether its Mining switch is on, hashrate, power. */
async function miner01() {
  const toggle = deviceRow("hui-toggle-entity-row", "Mining").getByRole("switch");
  return {
    on: await toggle.isChecked(),
    hashrate: await deviceRow("hui-sensor-entity-row", "Hashrate").innerText(),
    power: await deviceRow("hui-sensor-entity-row", "Power").innerText(),
  };
}

// "3,406 W" -> 3406.
const watts = (text) => (/^[\d,.]+ W$/.test(text) ? parseFloat(text.replaceAll(",", "")) : NaN);

async function switchOff() {
  await step("Switch miner-01 off on its device page: it stops", async () => {
    await page.goto(`${URL}/config/devices/device/${await deviceId("miner-01")}`);
    await until("miner-01 mining", async () => {
      const seen = await miner01();
      return (seen.on && parseFloat(seen.hashrate) > 1 && watts(seen.power) > 1000) || seen;
    });
    // The switch's input sits under its drawn control: click what a person clicks.
    await deviceRow("hui-toggle-entity-row", "Mining").locator("ha-switch").click();
    // Stopped: no hashes, only the control board's few watts.
    await until("miner-01 stopped", async () => {
      const seen = await miner01();
      const stopped = !seen.on && /^0(\.0+)? TH\/s$/.test(seen.hashrate) && watts(seen.power) < 100;
      return stopped || seen;
    });
  });
}

async function automate() {
  await step('An automation from the "mine while cheap" blueprint starts miner-01', async () => {
    await page.goto(`${URL}/config/blueprint/dashboard`);
    await page.getByText("Mine while electricity is cheap").click();
    await page.getByText("Blueprint to use").waitFor();
    await pickEntity("Electricity price", "Electricity price");
    await pickEntity("Miners", "Mining", "miner-01");
    await pickEntity("Break-even price sensor", "Break-even electricity price", "miner-01");
    await page.getByRole("button", { name: "Save" }).click();
    // Saved: the editor moves from .../edit/new to the automation's own address.
    await page.waitForURL(/\/config\/automation\/edit\/(?!new$)[^/]+$/);
    await page.getByRole("button", { name: "Traces" }).waitFor();

    await page.goto(`${URL}/config/automation/dashboard`);
    await page.getByText(AUTOMATION, { exact: true }).waitFor();

    // Electricity (the harness's price sensor) is cheaper than mining earns: the
    // automation starts miner-01 at its next check, within a minute.
    await page.goto(`${URL}/config/devices/device/${await deviceId("miner-01")}`);
    await until(
      "miner-01 started by the automation",
      async () => {
        // Hashing starts over from nothing: any hashrate at all is a start.
        const seen = await miner01();
        return (seen.on && parseFloat(seen.hashrate) > 0 && watts(seen.power) > 1000) || seen;
      },
      AUTOMATION_TIMEOUT,
    );
  });
}

let failed = false;
try {
  await step("Log in", () => logIn(page, URL, options.username, options.password));
  if (PARTS.has("add")) await addByAddress();
  for (let scan = 1; PARTS.has("scan") && scan <= SCANS; scan += 1) await addByScanning(scan);
  await step("Every Hashwatt entry loads", () =>
    until("all entries loaded", async () => {
      const entries = await hashwattEntries();
      const loaded = entries.every((entry) => entry.state === "loaded");
      return loaded || entries.filter((entry) => entry.state !== "loaded");
    }),
  );
  if (PARTS.has("switch")) await switchOff();
  if (PARTS.has("blueprint")) await automate();
} catch (error) {
  failed = true;
  console.error(`FAILED: ${error.message}`);
} finally {
  clearTimeout(watchdog);
  await browser.close();
}
process.exit(failed ? 1 : 0);
