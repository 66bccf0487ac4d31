// Headless Chromium from the machine's packages (never a downloaded browser), started as a root CI job
// can run it, with nothing that reaches out to the network on its own.
import { type Browser, chromium } from "playwright-core";
import { refuseInQuickRun } from "../kit/quickRun";

export function launchChromium(): Promise<Browser> {
  refuseInQuickRun("Chromium");
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-dev-shm-usage",
    ],
  });
}
