/**
 * Child process for the change-sync rows: one more device of the user, in its own process as a
 * real device is. It downloads every document once (its application then holds them, as after
 * any sync), says "ready", and on "sync" downloads again, measuring that sync alone: the time and
 * the peak memory of a device taking in one change, its own state and the application's included.
 * Run by bench/scale-client.ts.
 *
 * Usage (IPC child): scale-device.ts <origin> <json: { username, deviceId, key, docs }>
 */

import type { Json } from "../client/core/merge/json-value.ts";
import { DocumentDevice } from "./document-device.ts";
import { measured, type PhaseMemory } from "./measured-phase.ts";

export type DeviceMessage = { ready: true } | { ms: number; memory: PhaseMemory };

const [origin, configText] = process.argv.slice(2);
const send = process.send?.bind(process);
if (origin === undefined || configText === undefined || send === undefined)
  throw new Error("usage: scale-device.ts <origin> <config json> (IPC child)");
const config = JSON.parse(configText) as { username: string; deviceId: string; key: string; docs: string[] };
const device = await DocumentDevice.create(origin, config);
// What the application holds after each sync: the data it was given.
let held: Map<string, Json | null> = await device.pull(config.docs);
send({ ready: true } satisfies DeviceMessage);
process.once("message", async () => {
  const { ms, memory } = await measured(async () => {
    held = await device.pull(config.docs);
  });
  if (held.size !== config.docs.length) throw new Error("the device's sync lost documents");
  await device.close();
  send({ ms, memory } satisfies DeviceMessage, () => process.exit(0));
});
