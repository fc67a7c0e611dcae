/** Device ids: the Python module's SHA-256 machine fingerprint, so Python and we name a machine alike, or a random one where there is no machine to read. */

import { hexEncode, utf8Encode } from "./protocol/encoding.ts";

/** What the fingerprint reads, spelled as Python's `socket`, `platform` and `uuid` modules spell it. */
export interface MachineInfo {
  /** `socket.gethostname()` */
  hostname: string;
  /** `platform.system()`: `Linux`, `Darwin`, `Windows` */
  system: string;
  /** `platform.machine()`: `x86_64`, `aarch64`, `arm64`, `AMD64` */
  machine: string;
  /** `uuid.getnode()`: the 48-bit MAC as an integer (a decimal string is accepted as is). */
  mac: bigint | number | string;
}

/**
 * `sha256(f"{hostname}-{system}-{machine}-{mac}").hexdigest()[:16]`, as the Python module's `_generate_device_id`.
 *
 * @example
 * await fingerprintDeviceId({ hostname: "vm", system: "Linux", machine: "x86_64", mac: 3281355014145n }); // "bd08725c35423ad4"
 */
export async function fingerprintDeviceId(info: MachineInfo): Promise<string> {
  const text = `${info.hostname}-${info.system}-${info.machine}-${macDecimal(info.mac)}`;
  const digest = await crypto.subtle.digest("SHA-256", utf8Encode(text) as Uint8Array<ArrayBuffer>);
  return hexEncode(new Uint8Array(digest)).slice(0, 16);
}

/** 16 random lowercase hex characters, shaped like a fingerprint id; browsers persist one. */
export function randomDeviceId(): string {
  return hexEncode(crypto.getRandomValues(new Uint8Array(8)));
}

function macDecimal(mac: bigint | number | string): string {
  if (typeof mac === "bigint") return mac.toString(10);
  if (typeof mac === "number") {
    // A 48-bit MAC is exact in a double; anything else is a caller bug.
    if (!Number.isSafeInteger(mac) || mac < 0) throw new RangeError("mac must be a non-negative integer");
    return mac.toString(10);
  }
  if (!/^[0-9]+$/.test(mac)) throw new RangeError("mac must be a decimal integer string");
  return mac;
}
