/**
 * The Worker's side of the account's index (docs/WORKER.md "Incremental sync"): every stored entry
 * is recorded in the account's hub before its write is acknowledged, and a lost race makes the
 * hub catch up with what R2 holds, so a device that pulls after a 412 sees what beat it.
 */
import type { Env } from "../config.ts";
import type { RecordAnswer, UserHub } from "../realtime/user-hub.ts";
import { guard } from "../storage/unavailable.ts";
import { INLINE_LIMIT, type EntryInput } from "./entry-index.ts";

export function hubOf(env: Env, space: string): DurableObjectStub<UserHub> {
  return env.USER_HUB.get(env.USER_HUB.idFromName(space));
}

/** The token to keep inline in the index, when it is small enough and in memory. */
export function inlineToken(body: { size: number; bytes?: Uint8Array }): Uint8Array | null {
  return body.bytes !== undefined && body.size <= INLINE_LIMIT ? body.bytes : null;
}

/**
 * Records a stored entry; a hub that cannot be reached fails the request with 503 (the entry is
 * stored: the writer's retry gets a 412, which records it, and then pulls it).
 */
export async function recordEntry(env: Env, space: string, entry: EntryInput, keep: number): Promise<RecordAnswer> {
  return guard("index.record", () => hubOf(env, space).record(space, entry, keep));
}

/** After a lost race: makes the index hold the document's versions up to `version`. Never fails the request. */
export async function catchUp(env: Env, space: string, doc: string, version: number): Promise<void> {
  try {
    await hubOf(env, space).catchUp(space, doc, version);
  } catch (err) {
    console.warn("index catch-up failed", doc, err instanceof Error ? err.message : String(err));
  }
}
