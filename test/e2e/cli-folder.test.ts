/**
 * `cloud-sync sync --dir` and `watch --dir` against the Worker in workerd, over a Project-AI data
 * folder: a device syncs it, a new device brings it up in one command, both edit at once (different
 * files, different keys of one file, a file created, a file deleted) and end identical with every
 * edit kept; a file written in two steps under `watch --dir` is never uploaded half-written.
 */
import { existsSync, openSync, rmSync, writeSync, closeSync, fsyncSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ok, useCliHarness } from "../support/cli-harness.ts";
import { projectAiFiles, jsonTree, readJson, writeFiles, writeJson } from "../support/project-ai-data.ts";
import { eventually } from "../support/sync-clients.ts";

const harness = useCliHarness();
// The desk names itself; the laptop goes by its machine's name.
const account = () => harness.freshAccount("folder", { names: { desk: "Desk" } });

type Persona = { mood: Record<string, number>; personality: Record<string, number>; interaction_count: number };
type Facts = Record<string, Record<string, string>>;

describe("sync --dir", () => {
  it("brings a Project-AI folder to a new device in one command and merges edits made on both at once", async () => {
    const a = account();
    const desk = join(a.dir, "desk", "data");
    const laptop = join(a.dir, "laptop", "data");
    const files = projectAiFiles();
    writeFiles(desk, files);

    const first = ok(await a.run(["sync", "-u", a.user, "--dir", desk], "desk"));
    expect(first.stdout).toContain("pushed ai_persona/state.json (version 1)");
    expect(first.stdout).toContain("Synced");
    expect(first.stdout).not.toContain("sync_metadata");

    // A new device: the folder does not exist yet.
    const fresh = ok(await a.run(["sync", "-u", a.user, "--dir", laptop, "--json"], "laptop"));
    const report = JSON.parse(fresh.stdout) as { files: Array<{ path: string; action: string }> };
    expect(report.files.map((f) => f.action)).toEqual(Object.keys(files).map(() => "downloaded"));
    expect(jsonTree(laptop)).toEqual(files);
    expect(existsSync(join(laptop, "sync_metadata.json"))).toBe(false);

    // Both edit at once: different files, different keys of the same files, one file created, one deleted.
    const persona = (dir: string) => readJson(join(dir, "ai_persona/state.json")) as Persona;
    const knowledge = (dir: string) => readJson(join(dir, "memory/knowledge.json")) as Facts;
    const deskPersona = persona(desk);
    deskPersona["mood"]["energy"] = 0.95;
    writeJson(join(desk, "ai_persona/state.json"), deskPersona);
    const deskKnowledge = knowledge(desk);
    deskKnowledge["science"]!["fact_7"] = "water boils at 100 C at sea level";
    deskKnowledge["technology"]!["fact_new"] = "learned on the desk";
    writeJson(join(desk, "memory/knowledge.json"), deskKnowledge);
    writeJson(join(desk, "memory/conversations.json"), { "2025-06-02": ["hello", "hi Alice"] });
    const laptopPersona = persona(laptop);
    laptopPersona["interaction_count"] = 150;
    laptopPersona["personality"]["humor"] = 0.65;
    writeJson(join(laptop, "ai_persona/state.json"), laptopPersona);
    const laptopKnowledge = knowledge(laptop);
    laptopKnowledge["history"]!["fact_3"] = "edited on the laptop";
    delete laptopKnowledge["health"]!["fact_49"];
    writeJson(join(laptop, "memory/knowledge.json"), laptopKnowledge);
    rmSync(join(laptop, "learning_requests/requests.json"));
    writeJson(join(laptop, "settings.json"), { ...(files["settings.json"] as object), language: "fr" });

    const deskSync = ok(await a.run(["sync", "-u", a.user, "--dir", desk], "desk"));
    expect(deskSync.stdout).toContain("pushed memory/conversations.json (version 1)");
    const laptopSync = ok(await a.run(["sync", "-u", a.user, "--dir", laptop], "laptop"));
    expect(laptopSync.stdout).toMatch(/merged ai_persona\/state\.json both ways \(version 3\)/);
    expect(laptopSync.stdout).toContain("deleted learning_requests/requests.json everywhere (version 2)");
    expect(laptopSync.stdout).toContain("pulled memory/conversations.json (version 1)");
    const back = ok(await a.run(["sync", "-u", a.user, "--dir", desk], "desk"));
    expect(back.stdout).toContain("removed learning_requests/requests.json: deleted on another device");

    const tree = jsonTree(desk);
    expect(jsonTree(laptop)).toEqual(tree);
    expect(tree["learning_requests/requests.json"]).toBeUndefined();
    expect(existsSync(join(desk, "learning_requests"))).toBe(false);
    const merged = tree["ai_persona/state.json"] as Persona;
    expect(merged["mood"]["energy"]).toBe(0.95);
    expect(merged["interaction_count"]).toBe(150);
    expect(merged["personality"]["humor"]).toBe(0.65);
    const facts = tree["memory/knowledge.json"] as Facts;
    expect(facts["science"]!["fact_7"]).toBe("water boils at 100 C at sea level");
    expect(facts["technology"]!["fact_new"]).toBe("learned on the desk");
    expect(facts["history"]!["fact_3"]).toBe("edited on the laptop");
    expect(facts["health"]!["fact_49"]).toBeUndefined();
    expect(Object.values(facts).reduce((n, c) => n + Object.keys(c).length, 0)).toBe(300);
    expect((tree["settings.json"] as { language: string }).language).toBe("fr");
    expect(tree["memory/conversations.json"]).toEqual({ "2025-06-02": ["hello", "hi Alice"] });

    // The deleted file's history keeps its content, and nothing is left to do on either side.
    const history = JSON.parse(
      ok(await a.run(["history", "-u", a.user, "--doc", "learning_requests--requests", "--json"], "desk")).stdout,
    ) as unknown[];
    expect(history).toHaveLength(2);
    expect(ok(await a.run(["sync", "-u", a.user, "--dir", laptop], "laptop")).stdout).toContain("(already in sync)");

    // Each CLI device introduced itself.
    const devices = JSON.parse(ok(await a.run(["devices", "-u", a.user, "--json"], "desk")).stdout) as Array<{
      device_id: string;
      name: string | null;
      platform: string | null;
    }>;
    expect(devices.find((d) => d.device_id === "desk")).toMatchObject({ name: "Desk", platform: process.platform });
    expect(devices.find((d) => d.device_id === "laptop")).toMatchObject({
      name: hostname(),
      platform: process.platform,
    });
  });

  it("refuses a file whose name the server cannot hold, naming it, and syncs the others", async () => {
    const a = account();
    const data = join(a.dir, "data");
    writeJson(join(data, "users.json"), { alice: {} });
    writeJson(join(data, "Notes.json"), { a: 1 });
    const result = await a.run(["sync", "-u", a.user, "--dir", data], "desk");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'failed Notes.json: Cannot sync "Notes.json": its document name must start with a lower-case letter or digit',
    );
    expect(result.stderr).toContain("pushed users.json (version 1)");
    const excluded = ok(await a.run(["sync", "-u", a.user, "--dir", data, "--exclude", "Notes.json"], "desk"));
    expect(excluded.stdout).toContain("(already in sync)");
  });
});

describe("watch --dir", () => {
  it("never uploads a file written in two steps half-written, and pulls what another device announces", async () => {
    const a = account();
    const desk = join(a.dir, "desk");
    writeJson(join(desk, "users.json"), { alice: { role: "admin" } });
    const watch = a.start(["watch", "-u", a.user, "--dir", desk, "--json"], "desk");
    const full = { facts: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`fact_${i}`, `value ${i}`])) };
    try {
      await eventually(() => (watch.stderr.includes("Watching") ? true : undefined));
      const text = JSON.stringify(full, null, 2);
      const fd = openSync(join(desk, "knowledge.json"), "w");
      writeSync(fd, text.slice(0, text.length / 2));
      fsyncSync(fd);
      // Longer than the watcher's settling time: it reads the half-written file, and must not send it.
      await eventually(() =>
        watch.stderr.includes("skipped knowledge.json: it is not valid JSON") ? true : undefined,
      );
      writeSync(fd, text.slice(text.length / 2));
      closeSync(fd);
      await eventually(() => (watch.stdout.includes('"path":"knowledge.json"') ? true : undefined));

      // Another device writes: the announcement brings it down without waiting for a poll.
      const laptop = join(a.dir, "laptop");
      ok(await a.run(["sync", "-u", a.user, "--dir", laptop], "laptop"));
      writeJson(join(laptop, "settings.json"), { language: "de" });
      ok(await a.run(["sync", "-u", a.user, "--dir", laptop], "laptop"));
      await eventually(() => (existsSync(join(desk, "settings.json")) ? true : undefined));
      expect(readJson(join(desk, "settings.json"))).toEqual({ language: "de" });

      // A new folder with a file in it is watched and synced too.
      writeJson(join(desk, "ai_persona", "state.json"), { mood: { energy: 0.5 } });
      await eventually(() => (watch.stdout.includes('"path":"ai_persona/state.json"') ? true : undefined));
    } finally {
      watch.kill("SIGTERM");
    }
    expect(await watch.exited).toBe(0);

    // Every version of the document on the server is the whole file.
    const manager = await a.manager("checker");
    const versions = await manager.listVersions(a.user, { doc: "knowledge" });
    expect(versions.length).toBeGreaterThan(0);
    for (const v of versions)
      expect((await manager.getVersion(a.user, { doc: "knowledge", version: v.version })).data).toEqual(full);
    const events = watch.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { event: string; path?: string });
    expect(events).toContainEqual(expect.objectContaining({ event: "uploaded", path: "knowledge.json" }));
    expect(events).toContainEqual(expect.objectContaining({ event: "downloaded", path: "settings.json" }));
    expect(events).toContainEqual(expect.objectContaining({ event: "uploaded", path: "ai_persona/state.json" }));
    expect(events.at(-1)).toMatchObject({ event: "stopped", signal: "SIGTERM" });
  });

  it("brings a whole folder down on a new device, then watches the folders it created", async () => {
    const a = account();
    const desk = join(a.dir, "desk");
    writeFiles(desk, projectAiFiles());
    ok(await a.run(["sync", "-u", a.user, "--dir", desk], "desk"));
    const laptop = join(a.dir, "laptop", "data");
    const watch = a.start(["watch", "-u", a.user, "--dir", laptop, "--json"], "laptop");
    try {
      await eventually(() => (watch.stderr.includes("Watching") ? true : undefined));
      expect(jsonTree(laptop)).toEqual(projectAiFiles());
      const persona = readJson(join(laptop, "ai_persona/state.json")) as Persona;
      writeJson(join(laptop, "ai_persona/state.json"), { ...persona, interaction_count: 143 });
      await eventually(() =>
        watch.stdout.includes('"event":"uploaded","path":"ai_persona/state.json"') ? true : undefined,
      );
    } finally {
      watch.kill("SIGTERM");
    }
    expect(await watch.exited).toBe(0);
    ok(await a.run(["sync", "-u", a.user, "--dir", desk], "desk"));
    expect((readJson(join(desk, "ai_persona/state.json")) as Persona).interaction_count).toBe(143);
  });
});
