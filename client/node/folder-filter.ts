/**
 * Which files of a synced folder are documents: `--include`/`--exclude` globs over relative POSIX
 * paths, and what is never synced whatever they say (the Python module's own metadata, temporary
 * files, editors' swap and lock files, hidden files and folders).
 */

/** By default every JSON file, at any depth. */
export const DEFAULT_INCLUDE: readonly string[] = ["**/*.json"];

/**
 * Never synced: the Python module's `sync_metadata.json`; hidden names (vim's `.x.swp`, emacs's
 * `.#x`, our own `.x.json.<hex>.tmp`, `.git/`); emacs's `#x#` and `x~`; other tools' temporaries.
 */
export const ALWAYS_EXCLUDED: readonly string[] = [
  "sync_metadata.json",
  ".*",
  "#*#",
  "*~",
  "~$*",
  "*.tmp",
  "*.temp",
  "*.swp",
  "*.swo",
  "*.swx",
  "*.part",
  "*.crdownload",
  "*.kate-swp",
  "*___jb_tmp___",
  "*___jb_old___",
];

export interface FolderFilterOptions {
  /** Globs a file must match (default `**\/*.json`). */
  include?: readonly string[];
  /** Globs that leave a file out, besides ALWAYS_EXCLUDED. */
  exclude?: readonly string[];
}

/**
 * `*` and `?` stay within one path segment, `**` spans any number of them, `{a,b}` is either; a
 * glob without `/` is matched against the file's name at any depth, as in .gitignore.
 *
 * @example
 * const filter = new FolderFilter({ exclude: ["memory/**"] });
 * filter.matches("ai_persona/state.json"); // true
 */
export class FolderFilter {
  readonly #include: RegExp[];
  readonly #exclude: RegExp[];
  readonly #never = ALWAYS_EXCLUDED.map(globToRegExp);

  constructor(options: FolderFilterOptions = {}) {
    const include = options.include === undefined || options.include.length === 0 ? DEFAULT_INCLUDE : options.include;
    this.#include = include.map(globToRegExp);
    this.#exclude = (options.exclude ?? []).map(globToRegExp);
  }

  /** Whether the file at `path` (relative, `/`-separated) is synced. */
  matches(path: string): boolean {
    if (path.split("/").some((segment) => this.#never.some((re) => re.test(segment)))) return false;
    return this.#include.some((re) => test(re, path)) && !this.#exclude.some((re) => test(re, path));
  }

  /** Whether a folder could hold synced files (hidden folders and the like never do). */
  entersFolder(name: string): boolean {
    return !this.#never.some((re) => re.test(name));
  }
}

/** Patterns without "/" are tested against the last segment. */
function test(re: RegExp & { basename?: boolean }, path: string): boolean {
  return re.test(re.basename === true ? path.slice(path.lastIndexOf("/") + 1) : path);
}

/** A glob as an anchored RegExp; one without `/` is flagged to match names only. */
export function globToRegExp(glob: string): RegExp & { basename?: boolean } {
  if (typeof glob !== "string" || glob === "") throw new TypeError("a glob must be a non-empty string");
  let source = "";
  let inBraces = false;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      // "**/" matches no folder or several; a trailing "**" matches everything below.
      if (glob[i + 2] === "/") {
        source += "(?:.*/)?";
        i += 2;
      } else {
        source += ".*";
        i += 1;
      }
    } else if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else if (c === "{" && !inBraces) {
      inBraces = true;
      source += "(?:";
    } else if (c === "}" && inBraces) {
      inBraces = false;
      source += ")";
    } else if (c === "," && inBraces) source += "|";
    else source += c.replace(/[\\^$.|+()[\]{}]/g, "\\$&");
  }
  if (inBraces) throw new TypeError(`unclosed "{" in the glob ${JSON.stringify(glob)}`);
  const re: RegExp & { basename?: boolean } = new RegExp(`^${source}$`, "u");
  re.basename = !glob.includes("/");
  return re;
}
