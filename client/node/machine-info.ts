/**
 * The fingerprint's inputs read from the OS, as Python's `socket.gethostname()`, `platform.system()`,
 * `platform.machine()` and `uuid.getnode()` report them, so a Python device and we agree on the id.
 */

import { readFileSync } from "node:fs";
import { hostname, machine, networkInterfaces, type NetworkInterfaceInfo, type } from "node:os";
import type { MachineInfo } from "../core/index.ts";

export function nodeMachineInfo(): MachineInfo {
  return { hostname: hostname(), system: pythonSystem(), machine: pythonMachine(), mac: pythonGetnode() };
}

/** Node's `os.type()` is uname's sysname, as Python's, except on Windows. */
function pythonSystem(): string {
  const name = type();
  return name === "Windows_NT" ? "Windows" : name;
}

/** Python on Windows reports the processor architecture variable (`AMD64`, `ARM64`, `x86`); elsewhere uname's machine, as Node. */
function pythonMachine(): string {
  if (process.platform === "win32") {
    const arch = process.env["PROCESSOR_ARCHITEW6432"] ?? process.env["PROCESSOR_ARCHITECTURE"];
    if (arch) return arch;
  }
  return machine();
}

interface Candidate {
  readonly name: string;
  readonly mac: bigint;
  readonly hasIPv4: boolean;
}

/**
 * `uuid.getnode()`. On Linux Python asks libuuid, which walks the interfaces that hold an IPv4 address in
 * kernel (ifindex) order and takes the first non-zero hardware address; we walk the same list. Elsewhere
 * we take the first interface with a non-zero MAC, preferring a universally administered one as Python's
 * `ifconfig` parser on macOS does. With no MAC at all Python falls back to a random number per process,
 * and so do we: such a machine should set `CLOUD_SYNC_DEVICE_ID`.
 */
export function pythonGetnode(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
  platform: NodeJS.Platform = process.platform,
  ifindex: (name: string) => number | undefined = linuxIfindex,
): bigint {
  const candidates: Candidate[] = [];
  for (const [name, addresses] of Object.entries(interfaces)) {
    const first = addresses?.[0];
    if (!first) continue;
    const mac = macToBigint(first.mac);
    if (mac === 0n) continue;
    candidates.push({ name, mac, hasIPv4: addresses!.some((a) => a.family === "IPv4" || (a.family as unknown) === 4) });
  }
  if (platform === "linux") {
    const withIPv4 = candidates.filter((c) => c.hasIPv4);
    withIPv4.sort((a, b) => (ifindex(a.name) ?? Infinity) - (ifindex(b.name) ?? Infinity));
    if (withIPv4[0]) return withIPv4[0].mac;
  } else {
    const universal = candidates.find((c) => (c.mac & (1n << 41n)) === 0n);
    if (universal) return universal.mac;
  }
  if (candidates[0]) return candidates[0].mac;
  return randomNode();
}

function linuxIfindex(name: string): number | undefined {
  try {
    // An alias such as eth0:1 shares its device's index.
    const index = Number.parseInt(readFileSync(`/sys/class/net/${name.split(":")[0]}/ifindex`, "utf8"), 10);
    return Number.isNaN(index) ? undefined : index;
  } catch {
    return undefined;
  }
}

function macToBigint(mac: string): bigint {
  const hex = mac.replaceAll(":", "").replaceAll("-", "");
  return /^[0-9a-fA-F]{12}$/.test(hex) ? BigInt(`0x${hex}`) : 0n;
}

let processRandomNode: bigint | undefined;

/** Python's `_random_getnode`: 48 random bits with the multicast bit set (RFC 4122 §4.5), fixed for the process. */
function randomNode(): bigint {
  if (processRandomNode === undefined) {
    const bytes = crypto.getRandomValues(new Uint8Array(6));
    processRandomNode = BigInt(`0x${Buffer.from(bytes).toString("hex")}`) | (1n << 40n);
  }
  return processRandomNode;
}
