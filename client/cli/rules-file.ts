/**
 * `--rules FILE` of sync and watch: a JSON object of JSON-pointer patterns to `lww`, `append` or
 * `max`, read and checked before the command touches the server or the user's file, so a bad one
 * is a one-line usage error (exit 2) that changes nothing.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { checkMergeRules, SyncError, type MergeRules } from "../core/index.ts";
import type { OptionValues } from "./command.ts";

/**
 * The rules in `--rules`, or undefined when the option is absent (the document's declared rules,
 * else Project-AI's defaults for its name, then apply).
 *
 * @example await rulesOption({ rules: "rules.json" }, process.cwd()) // { "/conversations": "append" }
 */
export async function rulesOption(values: OptionValues, cwd: string): Promise<MergeRules | undefined> {
  const file = values["rules"];
  if (file === undefined || file === false) return undefined;
  if (typeof file !== "string" || file === "") throw rulesError("--rules needs a file name");
  return readRulesFile(resolve(cwd, file), file);
}

/** Reads and checks a rules file; `shown` is how the message names it (the path as the user typed it). */
export async function readRulesFile(path: string, shown: string = path): Promise<MergeRules> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a folder" : (error as Error).message;
    throw rulesError(`cannot read --rules ${shown}: ${reason}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw rulesError(`--rules ${shown} is not valid JSON: ${(error as Error).message}`);
  }
  try {
    return checkMergeRules(value);
  } catch (error) {
    throw rulesError(`--rules ${shown}: ${(error as Error).message}`);
  }
}

/** One line, whatever the parser's message held. */
function rulesError(message: string): SyncError {
  return new SyncError("invalid_config", `${message.replace(/\s+/g, " ").replace(/\.$/, "")}.`);
}
