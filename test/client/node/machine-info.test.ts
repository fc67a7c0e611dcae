/** Our port of Python's `uuid.getnode()` choice of MAC, fed made-up interface lists. */

import { describe, expect, it } from "vitest";
import type { NetworkInterfaceInfo } from "node:os";
import { pythonGetnode } from "../../../client/node/machine-info.ts";

function iface(mac: string, family: "IPv4" | "IPv6", internal = false): NetworkInterfaceInfo {
  const common = { mac, internal, netmask: "", cidr: null };
  return family === "IPv4"
    ? { ...common, family, address: "10.0.0.2" }
    : { ...common, family, address: "fe80::1", scopeid: 1 };
}

const LO = [iface("00:00:00:00:00:00", "IPv4", true)];

describe("pythonGetnode on Linux (libuuid's walk)", () => {
  const indexes: Record<string, number> = { lo: 1, ifb0: 2, eth0: 4, wlan0: 3 };
  const ifindex = (name: string) => indexes[name];

  it("takes the first interface with an IPv4 address and a non-zero MAC, in ifindex order", () => {
    const interfaces = {
      lo: LO,
      eth0: [iface("02:fc:00:00:00:01", "IPv4")],
      wlan0: [iface("00:1b:44:11:3a:b7", "IPv4")],
    };
    expect(pythonGetnode(interfaces, "linux", ifindex)).toBe(0x001b44113ab7n);
  });

  it("skips interfaces that hold only IPv6 addresses, as SIOCGIFCONF lists IPv4 ones", () => {
    const interfaces = {
      lo: LO,
      wlan0: [iface("00:1b:44:11:3a:b7", "IPv6")],
      eth0: [iface("02:fc:00:00:00:01", "IPv4")],
    };
    expect(pythonGetnode(interfaces, "linux", ifindex)).toBe(0x02fc00000001n);
  });
});

describe("pythonGetnode elsewhere", () => {
  it("prefers a universally administered MAC, as Python's ifconfig parser on macOS", () => {
    const interfaces = {
      lo0: LO,
      bridge0: [iface("36:1a:2b:3c:4d:5e", "IPv6")],
      en0: [iface("a4:83:e7:01:02:03", "IPv4")],
    };
    expect(pythonGetnode(interfaces, "darwin")).toBe(0xa483e7010203n);
  });

  it("falls back to the first locally administered MAC", () => {
    const interfaces = { lo0: LO, bridge0: [iface("36:1a:2b:3c:4d:5e", "IPv6")] };
    expect(pythonGetnode(interfaces, "darwin")).toBe(0x361a2b3c4d5en);
  });

  it("without any MAC gives a random multicast node, fixed for the process, as Python's _random_getnode", () => {
    const node = pythonGetnode({ lo: LO }, "linux", () => 1);
    expect(node & (1n << 40n)).toBe(1n << 40n);
    expect(node < 1n << 48n).toBe(true);
    expect(pythonGetnode({}, "win32")).toBe(node);
  });
});
