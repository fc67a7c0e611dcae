/**
 * `cloud-sync docs`, `export` and `import` against the Worker in workerd: a user's data out in clear,
 * in the folder layout, and back into a fresh account as the same documents, merged, never overwritten.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ok, useCliHarness } from "../support/cli-harness.ts";
import { jsonTree, projectAiFiles, readJson, writeFiles, writeJson } from "../support/project-ai-data.ts";

const harness = useCliHarness();
const account = () => harness.freshAccount("export", { device: "desk" });

interface DocEntry {
  doc: string;
  file: string | null;
  version: number;
  size: number;
  device_id: string;
  device_name: string | null;
}

describe("docs, export and import", () => {
  it("exports every document in clear in the folder layout, and an import into a fresh account gives the same documents", async () => {
    const mine = account();
    const dir = mine.dir;
    const data = join(dir, "data");
    const files = projectAiFiles();
    writeFiles(data, files);
    ok(await mine.run(["sync", "-u", mine.user, "--dir", data]));
    writeJson(join(dir, "notes.json"), { todo: ["export", "import"] });
    ok(await mine.run(["push", "-u", mine.user, "-f", "notes.json", "--doc", "notes"]));
    // A file deleted in the folder is a document whose newest version records the deletion.
    rmSync(join(data, "settings.json"));
    ok(await mine.run(["sync", "-u", mine.user, "--dir", data]));

    const listed = JSON.parse(ok(await mine.run(["docs", "-u", mine.user, "--json"])).stdout) as DocEntry[];
    expect(listed.map((d) => [d.doc, d.file])).toEqual([
      ["ai_persona--state", "ai_persona/state.json"],
      ["learning_requests--requests", "learning_requests/requests.json"],
      ["memory--knowledge", "memory/knowledge.json"],
      ["notes", "notes.json"],
      ["settings", "settings.json"],
      ["users", "users.json"],
    ]);
    expect(listed.find((d) => d.doc === "settings")).toMatchObject({ version: 2, device_id: "desk" });
    const text = ok(await mine.run(["docs", "-u", mine.user])).stdout;
    expect(text).toMatch(/^DOCUMENT +FILE +VERSION +SIZE +LAST WRITER +UPDATED \(UTC\)$/m);
    expect(text).toMatch(
      /^memory--knowledge +memory\/knowledge\.json +1 +\d+ B +\S+ \(desk\) \(this device\) +\d{4}-/m,
    );

    const out = join(dir, "export");
    const exported = ok(await mine.run(["export", "-u", mine.user, "--out", out, "--history"]));
    expect(exported.stdout).toContain(`Exported 5 document(s) of ${mine.user} to ${out}; 1 deleted file(s) left out;`);
    const { "settings.json": _deleted, ...live } = files;
    expect(jsonTree(out)).toEqual({ ...live, "notes.json": { todo: ["export", "import"] } });
    // The history keeps the deleted file's content.
    expect(readJson(join(out, ".history/settings.json/1.json"))).toEqual(files["settings.json"]);
    expect(readJson(join(out, ".history/settings.json/2.json"))).toBeNull();
    expect(readJson(join(out, ".history/settings.json/index.json"))).toMatchObject([
      { version: 1, deleted: false },
      { version: 2, deleted: true },
    ]);
    const again = await mine.run(["export", "-u", mine.user, "--out", out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("the folder is not empty");

    // Another device's folder: the import reads the export by its absolute path.
    const theirs = account();
    const imported = ok(await theirs.run(["import", "-u", theirs.user, "--dir", out]));
    expect(imported.stdout).toContain(`Imported 5 file(s) from ${out} into ${theirs.user}: 5 new version(s)`);
    const copy = JSON.parse(ok(await theirs.run(["docs", "-u", theirs.user, "--json"])).stdout) as DocEntry[];
    expect(copy.map((d) => d.doc)).toEqual(listed.filter((d) => d.doc !== "settings").map((d) => d.doc));
    const back = join(dir, "back");
    ok(await theirs.run(["export", "-u", theirs.user, "--out", back]));
    expect(jsonTree(back)).toEqual(jsonTree(out));
    expect(existsSync(join(back, ".history"))).toBe(false);

    // An import merges: what only the server holds stays, and the replaced version stays in the history.
    writeJson(join(theirs.dir, "users.json"), { carol: { role: "user" } });
    ok(await theirs.run(["push", "-u", theirs.user, "-f", "users.json", "--doc", "users"]));
    ok(await theirs.run(["import", "-u", theirs.user, "--dir", out]));
    const users = JSON.parse(ok(await theirs.run(["pull", "-u", theirs.user, "--doc", "users"])).stdout);
    expect(users).toEqual({ ...(files["users.json"] as object), carol: { role: "user" } });
    expect(readdirSync(out).sort()).toEqual([
      ".history",
      "ai_persona",
      "learning_requests",
      "memory",
      "notes.json",
      "users.json",
    ]);
  });
});
