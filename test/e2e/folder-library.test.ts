/**
 * The folder logic as a library (project-ai-cloud-sync/node), against the Worker in workerd: an
 * application embeds FolderSync with the CLI's options, and merge rules chosen per file path.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isSyncError } from "../../client/core/index.ts";
import { createNodeSyncManager, FileStore, FolderSync, folderRules } from "../../client/node/index.ts";
import { jsonTree, projectAiFiles, readJson, writeFiles, writeJson } from "../support/project-ai-data.ts";
import { freshKey, freshUser } from "../support/sync-clients.ts";
import { useWorkerServer } from "../support/use-worker-server.ts";

const server = useWorkerServer();

describe("FolderSync", () => {
  it("syncs a Project-AI folder between two embedded devices, merging each file by the rules for its path", async () => {
    const root = mkdtempSync(join(tmpdir(), "cloud-sync-folder-"));
    const key = freshKey();
    const username = freshUser("lib");
    const rules = folderRules({ "ai_persona/state.json": { "/interaction_count": "max" } });
    const device = async (id: string) => {
      const state = join(root, `state-${id}`);
      const manager = await createNodeSyncManager({ url: server.url, key, deviceId: id, dataDir: state, rules });
      return FolderSync.create({
        manager,
        username,
        dir: join(root, id, "data"),
        exclude: ["cache/**"],
        store: new FileStore(state),
      });
    };
    const files = projectAiFiles();
    writeFiles(join(root, "a", "data"), files);
    writeJson(join(root, "a", "data", "cache", "scratch.json"), { tmp: true });
    const a = await device("a");
    const b = await device("b");

    const first = await a.syncAll();
    expect(first.map((o) => [o.path, o.action])).toEqual(
      Object.keys(files)
        .sort()
        .map((p) => [p, "uploaded"]),
    );
    expect((await b.syncAll()).every((o) => o.action === "downloaded")).toBe(true);
    expect(jsonTree(b.dir)).toEqual(files);

    // A counter under `max` never goes back, even when the later edit lowers it.
    const persona = (folder: FolderSync) =>
      readJson(join(folder.dir, "ai_persona/state.json")) as Record<string, unknown>;
    writeJson(join(a.dir, "ai_persona/state.json"), { ...persona(a), interaction_count: 150 });
    writeJson(join(b.dir, "ai_persona/state.json"), { ...persona(b), interaction_count: 145, user_name: "Al" });
    await a.syncAll();
    expect((await b.syncAll()).find((o) => o.path === "ai_persona/state.json")?.action).toBe("merged");
    await a.syncAll();
    expect(persona(a)).toMatchObject({ interaction_count: 150, user_name: "Al" });
    const { "cache/scratch.json": excluded, ...synced } = jsonTree(a.dir);
    expect(excluded).toEqual({ tmp: true });
    expect(synced).toEqual(jsonTree(b.dir));

    // A name spelled decomposed on disk is the composed one's document, found as it is when it changes.
    writeJson(join(a.dir, "cafe\u0301.json"), { menu: ["tea"] });
    expect((await a.syncAll()).find((o) => o.doc === "caf-_c3-_a9")?.action).toBe("uploaded");
    expect((await b.syncAll()).find((o) => o.doc === "caf-_c3-_a9")?.path).toBe("caf\u00e9.json");
    writeJson(join(a.dir, "cafe\u0301.json"), { menu: ["tea", "cake"] });
    expect(await a.changedHere(["caf\u00e9.json"])).toEqual(["caf\u00e9.json"]);
    expect((await a.syncPaths(["caf\u00e9.json"]))[0]).toMatchObject({ action: "uploaded", version: 2 });
    await b.syncAll();
    expect(readJson(join(b.dir, "caf\u00e9.json"))).toEqual({ menu: ["tea", "cake"] });

    // A file the server cannot name is reported with invalid_name; the rest still syncs.
    writeJson(join(a.dir, "Upper.json"), {});
    writeJson(join(a.dir, "fine.json"), { ok: true });
    const outcomes = await a.syncAll();
    const refused = outcomes.find((o) => o.path === "Upper.json");
    expect(refused?.action).toBe("failed");
    expect(isSyncError(refused?.error, "invalid_name")).toBe(true);
    expect(outcomes.find((o) => o.path === "fine.json")?.action).toBe("uploaded");
  });
});
