/**
 * Debian's Chromium for the browser tests, started as this machine needs it: never a downloaded
 * browser, no sandbox (tests run as root), and no background networking (the machine's closed
 * network would refuse those connections by the dozen).
 */
import { chromium, type Browser } from "playwright-core";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}
