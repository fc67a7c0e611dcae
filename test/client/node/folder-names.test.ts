import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isDocName, SyncError } from "../../../client/core/index.ts";
import { docNameForPath, pathForDocName } from "../../../client/node/folder-names.ts";
import { FolderFilter, globToRegExp } from "../../../client/node/folder-filter.ts";

describe("document names of a folder's files", () => {
  it("names Project-AI's files readably, without their .json", () => {
    expect(docNameForPath("ai_persona/state.json")).toBe("ai_persona--state");
    expect(docNameForPath("memory/knowledge.json")).toBe("memory--knowledge");
    expect(docNameForPath("users.json")).toBe("users");
    expect(docNameForPath("learning_requests/requests.json")).toBe("learning_requests--requests");
    expect(pathForDocName("default")).toBe("default.json");
  });

  it("escapes upper case, spaces, accents, a dash before a dash and a dot after a dot", () => {
    expect(docNameForPath("notes/My Notes.json")).toBe("notes---_4dy-_20-_4eotes");
    expect(pathForDocName("notes---_4dy-_20-_4eotes")).toBe("notes/My Notes.json");
    expect(docNameForPath("café.json")).toBe("caf-_c3-_a9");
    expect(docNameForPath("a--b.json")).toBe("a-_2d-b");
    expect(docNameForPath("a..b.json")).toBe("a.-_2eb");
    expect(docNameForPath("to-do/list.json")).toBe("to-do--list");
  });

  it("gives the same name for a composed and a decomposed spelling (NFC)", () => {
    expect(docNameForPath("cafe\u0301.json")).toBe(docNameForPath("caf\u00e9.json"));
  });

  it("round-trips every path it can name, and every name it gives is one the server accepts", () => {
    const segment = fc
      .string({ unit: fc.constantFrom(..."abcXYZ019._- -é/"), minLength: 1, maxLength: 12 })
      .filter((s) => !s.includes("/"));
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 3 }), (segments) => {
        const path = `${segments.join("/")}.json`.normalize("NFC");
        let name: string;
        try {
          name = docNameForPath(path);
        } catch (error) {
          expect(error).toBeInstanceOf(SyncError);
          expect((error as SyncError).code).toBe("invalid_name");
          return;
        }
        expect(isDocName(name)).toBe(true);
        expect(pathForDocName(name)).toBe(path);
      }),
      { numRuns: 2000 },
    );
  });

  it("maps every name it decodes back to that name", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."ab09._-"), minLength: 1, maxLength: 20 }), (name) => {
        const path = pathForDocName(name);
        if (path !== null) expect(docNameForPath(path)).toBe(name);
      }),
      { numRuns: 2000 },
    );
  });

  it("refuses with invalid_name a path the server cannot hold, saying why", () => {
    const refused = (path: string) => {
      try {
        docNameForPath(path);
      } catch (error) {
        expect((error as SyncError).code).toBe("invalid_name");
        return (error as SyncError).message;
      }
      throw new Error(`${path} was accepted`);
    };
    expect(refused(`${"x".repeat(70)}.json`)).toBe(
      `Cannot sync "${"x".repeat(70)}.json": its document name would be 70 characters long (the server holds at most 64); use a shorter path.`,
    );
    expect(refused("State.json")).toMatch(/must start with a lower-case letter or digit/);
    expect(refused("_private.json")).toMatch(/must start with a lower-case letter or digit/);
    expect(refused("notes.txt")).toBe('Cannot sync "notes.txt": only files named *.json are synced as documents.');
    expect(refused("a//b.json")).toMatch(/without empty, '.' or '..' parts/);
  });

  it("decodes no name that encoding would not give", () => {
    expect(pathForDocName("a-_2d")).toBeNull(); // "-" needs no escape here
    expect(pathForDocName("a-_zz")).toBeNull();
    expect(pathForDocName("a----b")).toBeNull(); // an empty folder name
    expect(pathForDocName("Upper")).toBeNull();
    expect(pathForDocName("my-notes")).toBe("my-notes.json");
  });
});

describe("which files a folder syncs", () => {
  it("takes every JSON file by default, but never sync_metadata.json, hidden, temporary or swap files", () => {
    const filter = new FolderFilter();
    expect(filter.matches("users.json")).toBe(true);
    expect(filter.matches("ai_persona/state.json")).toBe(true);
    for (const path of [
      "sync_metadata.json",
      "cloud/sync_metadata.json",
      ".state.json.swp",
      "ai_persona/.#state.json",
      "#state.json#",
      "state.json~",
      ".state.json.3f2a1b.tmp",
      ".git/config.json",
      "notes.txt",
    ])
      expect(filter.matches(path), path).toBe(false);
  });

  it("applies --include and --exclude globs, a glob without / to names at any depth", () => {
    const filter = new FolderFilter({ include: ["**/*.json", "*.settings"], exclude: ["memory/**", "*.cache.json"] });
    expect(filter.matches("memory/knowledge.json")).toBe(false);
    expect(filter.matches("a/b.cache.json")).toBe(false);
    expect(filter.matches("ui/app.settings")).toBe(true);
    expect(filter.matches("ai_persona/state.json")).toBe(true);
    expect(globToRegExp("{a,b}/*.json").test("b/x.json")).toBe(true);
    expect(globToRegExp("{a,b}/*.json").test("c/x.json")).toBe(false);
  });
});
