/**
 * Merge rules from the `cloud-sync` CLI against the Worker in workerd: `--rules FILE` on sync, the
 * rules travelling inside the document to devices that pass none, Project-AI's defaults for its
 * well-known named documents, and a bad rules file refused before anything changes.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { progressFetch } from "../../client/cli/progress.ts";
import { ok, useCliHarness } from "../support/cli-harness.ts";
import { eventually } from "../support/sync-clients.ts";

const harness = useCliHarness();

type Turn = {
  id: string;
  role: string;
  content: string;
  timestamp: number;
};

const T0 = Date.UTC(2026, 0, 5, 9) / 1000;

/** About `bytes` of conversation turns, as Project-AI's memory keeps them. */
function turns(bytes: number): Turn[] {
  const out: Turn[] = [];
  for (let i = 0, size = 0; size < bytes; i++) {
    const turn = {
      id: `t${i}`,
      role: i % 2 === 0 ? "user" : "assistant",
      content: `turn ${i} `.repeat(8),
      timestamp: T0 + i,
    };
    out.push(turn);
    size += JSON.stringify(turn).length + 1;
  }
  return out;
}

/** An account whose device `id` syncs its file `<id>.json` with the document `doc`; `read(id)` parses that file. */
function account(doc: string) {
  const a = harness.freshAccount("rules");
  const path = (id: string) => join(a.dir, `${id}.json`);
  /** `cloud-sync sync` of device `id`'s file `<id>.json` with the document, plus `extra` arguments. */
  const sync = (id: string, extra: string[] = []) =>
    a.run(["sync", "-u", a.user, "-f", `${id}.json`, "--doc", doc, ...extra], id);
  return { ...a, doc, path, sync, read: <T>(id: string): T => a.read<T>(`${id}.json`) };
}

let appended = 0;

/** Device `id` appends one new turn to its file, later than every turn before it. */
function appendTurn(a: ReturnType<typeof account>, id: string, list: (data: Record<string, unknown>) => Turn[]): Turn {
  const data = a.read<Record<string, unknown>>(id);
  appended += 1;
  const turn = {
    id: `${id}-${appended}`,
    role: "user",
    content: `said on ${id}`,
    timestamp: T0 + 1_000_000 + appended,
  };
  list(data).push(turn);
  writeFileSync(a.path(id), JSON.stringify(data));
  return turn;
}

describe("sync of a named document by Project-AI's default rules", () => {
  it("keeps both turns when two devices append to a 50 KB memory document and sync at once", async () => {
    const a = account("memory");
    const history = turns(50_000);
    a.write("desktop.json", JSON.stringify({ conversations: history, knowledge_base: { people: [] } }));
    ok(await a.sync("desktop"));
    ok(await a.sync("laptop"));
    expect(a.read<{ conversations: Turn[] }>("laptop").conversations).toHaveLength(history.length);

    const fromDesktop = appendTurn(a, "desktop", (d) => d["conversations"] as Turn[]);
    const fromLaptop = appendTurn(a, "laptop", (d) => d["conversations"] as Turn[]);
    const raced = await Promise.all([a.sync("desktop"), a.sync("laptop")]);
    raced.forEach(ok);
    ok(await a.sync("desktop"));
    ok(await a.sync("laptop"));

    for (const id of ["desktop", "laptop"]) {
      const held = a.read<{ conversations: Turn[] }>(id).conversations;
      // Both appended turns, after the shared history, in their own time order (desktop's is the earlier).
      expect(held.slice(-2), id).toEqual([fromDesktop, fromLaptop]);
      expect(held).toHaveLength(history.length + 2);
    }
  });
});

describe("sync of a large document from a terminal", () => {
  it("keeps both turns when two terminals append to a 4 MB memory document and sync at once", async () => {
    // On a terminal the CLI streams uploads over 1 MB to draw its bar (openManager's progressFetch);
    // a stream without a declared length past 1 MB was refused (411), so neither sync merged.
    const { user, manager } = harness.freshAccount("bigrules");
    const tty = { isTTY: true, write: () => true };
    const open = (id: string) =>
      manager(
        id,
        progressFetch((u, i) => fetch(u, i), tty),
      );
    const [desktop, laptop] = await Promise.all([open("desktop"), open("laptop")]);
    // Random text, so the compressed token stays well over 1 MB.
    const history = turns(4_000_000).map((t) => ({ ...t, content: randomBytes(40).toString("hex") }));
    const first = await desktop.bidirectionalSync(user, { conversations: history }, { doc: "memory" });
    expect(first.uploaded).toBe(true);
    const checkout = await laptop.syncDownload(user, { doc: "memory" });
    await laptop.bidirectionalSync(user, checkout!, { doc: "memory" });

    const turn = (id: string, at: number): Turn => ({ id, role: "user", content: id, timestamp: T0 + 2_000_000 + at });
    const [a, b] = await Promise.all([
      desktop.bidirectionalSync(user, { conversations: [...history, turn("desktop", 1)] }, { doc: "memory" }),
      laptop.bidirectionalSync(user, { conversations: [...history, turn("laptop", 2)] }, { doc: "memory" }),
    ]);
    const last = a.version! > b.version! ? a : b;
    expect((last.data as unknown as { conversations: Turn[] }).conversations.slice(-2).map((t) => t.id)).toEqual([
      "desktop",
      "laptop",
    ]);
    for (const device of [desktop, laptop]) {
      const held = await device.bidirectionalSync(user, (device === desktop ? a : b).data, { doc: "memory" });
      expect(held.data).toEqual(last.data);
    }
  });
});

describe("sync --rules", () => {
  it("keeps both turns of two devices that append to a document and sync at once, both passing --rules", async () => {
    const a = account("journal");
    a.write("rules.json", JSON.stringify({ "/entries": "append" }));
    a.write("phone.json", JSON.stringify({ title: "journal", entries: turns(2_000) }));
    ok(await a.sync("phone", ["--rules", "rules.json"]));
    ok(await a.sync("tablet", ["--rules", "rules.json"]));

    const fromPhone = appendTurn(a, "phone", (d) => d["entries"] as Turn[]);
    const fromTablet = appendTurn(a, "tablet", (d) => d["entries"] as Turn[]);
    (
      await Promise.all([a.sync("phone", ["--rules", "rules.json"]), a.sync("tablet", ["--rules", "rules.json"])])
    ).forEach(ok);
    ok(await a.sync("phone", ["--rules", "rules.json"]));
    ok(await a.sync("tablet", ["--rules", "rules.json"]));

    expect(a.read<{ entries: Turn[] }>("phone").entries.slice(-2)).toEqual([fromPhone, fromTablet]);
    expect(a.read("tablet")).toEqual(a.read("phone"));
  });

  it("declares the rules in the document, so devices that pass none merge by them, whoever wrote last", async () => {
    const a = account("journal");
    a.write("rules.json", JSON.stringify({ "/entries": "append" }));
    a.write("phone.json", JSON.stringify({ entries: turns(2_000) }));
    ok(await a.sync("phone", ["--rules", "rules.json"]));
    ok(await a.sync("tablet"));
    ok(await a.sync("watch"));

    // Round one: the device with the rules and one without.
    const fromPhone = appendTurn(a, "phone", (d) => d["entries"] as Turn[]);
    const fromTablet = appendTurn(a, "tablet", (d) => d["entries"] as Turn[]);
    (await Promise.all([a.sync("phone", ["--rules", "rules.json"]), a.sync("tablet")])).forEach(ok);
    ok(await a.sync("tablet"));
    // Round two: only devices that never passed --rules; the last version may be one of theirs.
    const fromWatch = appendTurn(a, "watch", (d) => d["entries"] as Turn[]);
    const again = appendTurn(a, "tablet", (d) => d["entries"] as Turn[]);
    (await Promise.all([a.sync("watch"), a.sync("tablet")])).forEach(ok);
    for (const id of ["phone", "tablet", "watch"]) ok(await a.sync(id));

    for (const id of ["phone", "tablet", "watch"]) {
      const ids = a.read<{ entries: Turn[] }>(id).entries.map((t) => t.id);
      expect(ids, id).toEqual(expect.arrayContaining([fromPhone.id, fromTablet.id, fromWatch.id]));
      expect(
        ids.filter((i) => i === again.id),
        id,
      ).toHaveLength(1);
    }
    expect(a.read("tablet")).toEqual(a.read("phone"));
    expect(a.read("watch")).toEqual(a.read("phone"));
  });

  it("merges by --rules in watch too: turns appended on the watching device and on another both reach both", async () => {
    const a = account("journal");
    a.write("rules.json", JSON.stringify({ "/entries": "append" }));
    a.write("phone.json", JSON.stringify({ entries: turns(1_000) }));
    const watch = a.start(
      ["watch", "-u", a.user, "-f", "phone.json", "--doc", a.doc, "--rules", "rules.json", "--interval", "1", "--json"],
      "phone",
    );
    try {
      await eventually(() => (watch.stdout.includes('"pushed"') ? true : undefined));
      ok(await a.sync("tablet"));
      const fromTablet = appendTurn(a, "tablet", (d) => d["entries"] as Turn[]);
      const fromPhone = appendTurn(a, "phone", (d) => d["entries"] as Turn[]);
      ok(await a.sync("tablet"));
      const both = (id: string) => {
        const ids = new Set(a.read<{ entries: Turn[] }>(id).entries.map((t) => t.id));
        return ids.has(fromPhone.id) && ids.has(fromTablet.id) ? true : undefined;
      };
      await eventually(() => both("phone"));
      await eventually(async () => (ok(await a.sync("tablet")) && both("tablet") ? true : undefined));
    } finally {
      watch.kill("SIGTERM");
    }
    expect(await watch.exited, watch.stderr).toBe(0);
    expect(a.read("tablet")).toEqual(a.read("phone"));
  });

  const bad: Array<[string, string, RegExp]> = [
    ["not JSON", "{ /entries: append", /^cloud-sync: --rules rules\.json is not valid JSON: .+\.\n$/],
    [
      "an unknown rule name",
      '{"/entries": "union"}',
      /^cloud-sync: --rules rules\.json: merge rule for "\/entries" must be lww, append or max, got "union"\.\n$/,
    ],
    [
      "a path that is not a JSON pointer",
      '{"entries": "append"}',
      /^cloud-sync: --rules rules\.json: merge rule path "entries" is not a JSON pointer .*\.\n$/,
    ],
  ];
  for (const [what, text, message] of bad) {
    it(`refuses a rules file with ${what}: one line, exit 2, and neither the file nor the server changes`, async () => {
      const a = account("journal");
      a.write("phone.json", JSON.stringify({ entries: [] }));
      ok(await a.sync("phone"));
      const file = JSON.stringify({ entries: turns(300) });
      a.write("phone.json", file);
      a.write("rules.json", text);

      for (const command of ["sync", "watch"]) {
        const result = await a.run(
          [command, "-u", a.user, "-f", "phone.json", "--doc", a.doc, "--rules", "rules.json"],
          "phone",
        );
        expect(result.code, command).toBe(2);
        expect(result.stderr, command).toMatch(message);
        expect(result.stdout, command).toBe("");
      }
      // A device that never ran gets no state either.
      const fresh = await a.run(
        ["sync", "-u", a.user, "-f", "tablet.json", "--doc", a.doc, "--rules", "rules.json"],
        "tablet",
      );
      expect(fresh.code).toBe(2);
      expect(existsSync(a.stateDir("tablet"))).toBe(false);
      expect(existsSync(a.path("tablet"))).toBe(false);

      expect(readFileSync(a.path("phone"), "utf8")).toBe(file);
      const history = JSON.parse(ok(await a.run(["history", "-u", a.user, "--doc", a.doc, "--json"], "phone")).stdout);
      expect(history).toHaveLength(1);
    });
  }
});
