/**
 * The one mapping between a synced folder's JSON files and document names, the same on every
 * platform: a relative POSIX path (`/` separators, NFC), less its `.json`, escaped into the
 * document-name alphabet (PROTOCOL.md "Names": `a-z 0-9 . _ -`, at most 64, no `..`).
 *
 * - `a-z 0-9 . _` stay as they are, as does `-` unless what follows would read as an escape;
 * - `/` becomes `--`;
 * - any other byte of the UTF-8 path (upper case, spaces, accents, a `-` before `-`, `_` or `/`,
 *   a `.` after a `.`) becomes `-_` and two lower-case hex digits.
 *
 * So `ai_persona/state.json` is the document `ai_persona--state`, and the document `default` (the
 * Python module's) is the file `default.json`. Decoding accepts only names that encoding gives back
 * unchanged, so a path has exactly one name and a name at most one path.
 */
import { SyncError, isDocName } from "../core/index.ts";

const EXTENSION = ".json";
const MAX_NAME = 64;
const PLAIN = /[a-z0-9._]/;

/**
 * The document that holds the file at `path` (relative to the folder, `/`-separated).
 * Throws SyncError `invalid_name` when the server cannot hold a name for it.
 *
 * @example
 * docNameForPath("ai_persona/state.json"); // "ai_persona--state"
 */
export function docNameForPath(path: string): string {
  const normal = path.normalize("NFC");
  const why = unrepresentable(normal);
  if (why !== null) throw new SyncError("invalid_name", `Cannot sync ${JSON.stringify(path)}: ${why}.`);
  const name = escapePath(normal.slice(0, -EXTENSION.length));
  const legal: boolean = isDocName(name);
  if (!legal) {
    const reason =
      name.length > MAX_NAME
        ? `its document name would be ${name.length} characters long (the server holds at most ${MAX_NAME}); use a shorter path`
        : "its document name must start with a lower-case letter or digit (rename it, or leave it out with --exclude)";
    throw new SyncError("invalid_name", `Cannot sync ${JSON.stringify(path)}: ${reason}.`);
  }
  return name;
}

/** The relative path of the file a document holds, or null when the name is not one `docNameForPath` makes. */
export function pathForDocName(name: string): string | null {
  if (!isDocName(name)) return null;
  const bytes: number[] = [];
  for (let i = 0; i < name.length; ) {
    const c = name[i]!;
    if (c !== "-") {
      bytes.push(c.charCodeAt(0));
      i += 1;
    } else if (name[i + 1] === "-") {
      bytes.push(0x2f);
      i += 2;
    } else if (name[i + 1] === "_") {
      const hex = name.slice(i + 2, i + 4);
      if (!/^[0-9a-f]{2}$/.test(hex)) return null;
      bytes.push(Number.parseInt(hex, 16));
      i += 4;
    } else {
      bytes.push(0x2d);
      i += 1;
    }
  }
  let stem: string;
  try {
    stem = new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes));
  } catch {
    return null;
  }
  const path = stem + EXTENSION;
  if (unrepresentable(path) !== null || escapePath(stem) !== name) return null;
  return path;
}

/** Why `path` (NFC) can never be a synced file, or null. */
function unrepresentable(path: string): string | null {
  if (path !== path.normalize("NFC")) return "the path is not in Unicode normal form C";
  if (!path.endsWith(EXTENSION) || path.length === EXTENSION.length)
    return `only files named *${EXTENSION} are synced as documents`;
  const segments = path.split("/");
  if (segments.some((s) => s === "" || s === "." || s === ".."))
    return "the path must be relative, without empty, '.' or '..' parts";
  if ([...path].some((c) => c.charCodeAt(0) < 0x20 || c === "\\"))
    return "the path holds a control character or a backslash";
  return null;
}

function escapePath(stem: string): string {
  const bytes = new TextEncoder().encode(stem);
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    const c = String.fromCharCode(byte);
    const next = bytes[i + 1];
    if (byte === 0x2f) out += "--";
    else if (c === "." && out.endsWith(".")) out += hex(byte);
    else if (byte < 0x80 && PLAIN.test(c)) out += c;
    // A literal "-" must not be read as the start of "--" or "-_".
    else if (c === "-" && !(next === 0x2d || next === 0x5f || (next !== undefined && needsEscape(next)))) out += "-";
    else out += hex(byte);
  }
  return out;
}

/** Whether a byte is always written as an escape (so it begins with "-"). */
function needsEscape(byte: number): boolean {
  return byte === 0x2f || byte >= 0x80 || !(PLAIN.test(String.fromCharCode(byte)) || byte === 0x2d);
}

function hex(byte: number): string {
  return `-_${byte.toString(16).padStart(2, "0")}`;
}
