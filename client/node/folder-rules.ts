/** Merge rules for a folder's documents, chosen by the file's path: the manager's `rules` option as a function of the document name. */
import { checkMergeRules, type MergeRules } from "../core/index.ts";
import { globToRegExp } from "./folder-filter.ts";
import { pathForDocName } from "./folder-names.ts";

/**
 * Maps globs over the folder's relative paths to merge rules; the first glob that matches a file
 * decides (a glob without `/` matches the file's name at any depth). Documents that are no
 * folder's file get none (the manager's defaults apply).
 *
 * @example
 * const manager = await createNodeSyncManager({
 *   url, key,
 *   rules: folderRules({ "ai_persona/state.json": { "/interaction_count": "max" } }),
 * });
 */
export function folderRules(byPath: Readonly<Record<string, MergeRules>>): (doc: string) => MergeRules | undefined {
  if (typeof byPath !== "object" || byPath === null)
    throw new TypeError("folderRules needs an object of glob -> rules");
  const compiled = Object.entries(byPath).map(([glob, rules]) => {
    try {
      return { re: globToRegExp(glob), rules: checkMergeRules(rules) };
    } catch (error) {
      throw new TypeError(`rules for ${JSON.stringify(glob)}: ${(error as Error).message}`);
    }
  });
  return (doc) => {
    const path = pathForDocName(doc);
    if (path === null) return undefined;
    const name = path.slice(path.lastIndexOf("/") + 1);
    return compiled.find(({ re }) => re.test(re.basename === true ? name : path))?.rules;
  };
}
