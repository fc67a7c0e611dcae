/**
 * The end of every scenario: all devices online, syncing every document in turn until a round
 * writes nothing, then the checks that hold whatever happened before: each device holds the
 * server's data, no acknowledged edit is lost, no change was applied twice, every stored version
 * decrypts, and no change is left in a queue.
 */
import { expect } from "vitest";
import { jsonEqual, type Json } from "../../../client/core/merge/json-value.ts";
import { lostEdit } from "./doc-model.ts";
import { repeatedWrites, type ServerView } from "./server-view.ts";
import type { SimDevice } from "./sim-device.ts";

/** The server's data of each document once settled. */
export async function settle(
  devices: readonly SimDevice[],
  docs: readonly string[],
  view: ServerView,
): Promise<Map<string, Json>> {
  for (const d of devices) d.online = true;
  const username = devices[0]!.username;
  const versions = async () =>
    JSON.stringify((await view.api.listDocuments(username)).map((d) => [d.name, d.version]).sort());
  // Queued changes replay in the first round. A device whose merge adds only clocks (an emptied
  // list, say) writes nothing, and that knowledge may change the data a round later; each round
  // that writes spends some of it, so more rounds than devices would mean syncs that never settle.
  let rounds = 0;
  for (let before = "", after = await versions(); before !== after; before = after, after = await versions()) {
    expect(++rounds).toBeLessThanOrEqual(devices.length + 2);
    for (const d of devices)
      for (const doc of docs) expect([d.id, doc, await d.sync(doc)]).toEqual([d.id, doc, "synced"]);
  }

  const settled = new Map<string, Json>();
  for (const doc of docs) {
    const current = await view.current(doc);
    const data = current?.envelope.data ?? {};
    const clocks = current?.envelope.sync?.clocks ?? {};
    settled.set(doc, data);
    for (const d of devices) expect([d.id, doc, jsonEqual(d.data(doc), data)]).toEqual([d.id, doc, true]);
    for (const d of devices)
      for (const edit of d.acked.filter((e) => e.doc === doc)) expect(lostEdit(edit, data, clocks)).toBeNull();
  }
  expect(repeatedWrites(await view.everyVersion())).toEqual([]);
  for (const d of devices) expect([d.id, await d.pending()]).toEqual([d.id, 0]);
  return settled;
}
