/**
 * `--dir` of sync and watch (and the folder of import): the options, the FolderSync they describe
 * (its manager merging by `--rules`, per path pattern), a progress bar for a large first sync, and
 * how each file's outcome is printed.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { SyncError, type MergeRules } from "../core/index.ts";
import { FileStore, FolderFilter, FolderSync, folderRules, type FileOutcome } from "../node/index.ts";
import type { CommandContext, OptionSpec, OptionValues } from "./command.ts";
import { optional, required } from "./options.ts";
import type { TextStream } from "./output.ts";
import { PROGRESS_THRESHOLD_BYTES, ProgressBar } from "./progress.ts";
import { readRulesFile } from "./rules-file.ts";

export const DIR: OptionSpec = {
  type: "string",
  value: "DIR",
  description: "a folder: every JSON file in it is a document, named after its path (instead of --file)",
};
export const INCLUDE: OptionSpec = {
  type: "string",
  multiple: true,
  value: "GLOB",
  description: "with --dir: sync the files matching GLOB (repeatable; default **/*.json)",
};
export const EXCLUDE: OptionSpec = {
  type: "string",
  multiple: true,
  value: "GLOB",
  description:
    "with --dir: leave out the files matching GLOB (repeatable); sync_metadata.json, hidden, temporary and swap files are always left out",
};

/** A first sync of at least this many files draws a bar on a terminal, whatever their size. */
const PROGRESS_FILES = 20;

function listOption(values: OptionValues, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value : typeof value === "string" ? [value] : [];
}

/** The folder's filter options, checked (a bad glob is a usage error). */
export function filterOptions(values: OptionValues): { include: string[]; exclude: string[] } {
  const options = { include: listOption(values, "include"), exclude: listOption(values, "exclude") };
  try {
    new FolderFilter(options);
  } catch (error) {
    throw new SyncError("invalid_config", `--include/--exclude: ${(error as Error).message}.`);
  }
  return options;
}

/**
 * `--rules FILE` for a folder: either one set of JSON-pointer rules for every file, or an object of
 * path globs to such sets (`{"ai_persona/state.json": {"/interaction_count": "max"}}`).
 */
export async function folderRulesOption(
  values: OptionValues,
  cwd: string,
): Promise<((doc: string) => MergeRules | undefined) | undefined> {
  const file = optional(values, "rules");
  if (file === undefined) return undefined;
  const path = resolve(cwd, file);
  const parsed: unknown = await readFile(path, "utf8").then(
    (text) => JSON.parse(text) as unknown,
    () => undefined,
  );
  const byPath =
    typeof parsed === "object" &&
    parsed !== null &&
    !Array.isArray(parsed) &&
    Object.keys(parsed).some((k) => k !== "" && !k.startsWith("/"));
  // One set for every file: read as sync --file reads it, with its messages.
  if (!byPath) return folderRules({ "**": await readRulesFile(path, file) });
  try {
    return folderRules(parsed as Record<string, MergeRules>);
  } catch (error) {
    throw new SyncError("invalid_config", `--rules ${file}: ${(error as Error).message.replace(/\.$/, "")}.`);
  }
}

/** The FolderSync of `--dir`, on this configuration's manager; `--file` and `--doc` do not go with it. */
export async function openFolder(
  ctx: CommandContext,
  username: string,
  command: string,
  onFile?: (outcome: FileOutcome) => void,
): Promise<FolderSync> {
  const dir = required(ctx.values, "dir", command);
  for (const other of ["file", "doc"])
    if (optional(ctx.values, other) !== undefined)
      throw new SyncError(
        "invalid_config",
        `${command} takes --dir or --${other}, not both: in a folder each file is its own document.`,
      );
  const filter = filterOptions(ctx.values);
  const rules = await folderRulesOption(ctx.values, ctx.cwd);
  const manager = await ctx.manager(rules === undefined ? {} : { rules });
  const folder = resolve(ctx.cwd, dir);
  const bar = folderProgress(ctx.out.stderr, folder);
  return FolderSync.create({
    manager,
    username,
    dir: folder,
    ...filter,
    store: new FileStore(ctx.config().dataDir),
    onFile: (outcome, step) => {
      bar(step);
      onFile?.(outcome);
    },
  });
}

/** On a terminal, a bar over a pass with many files or many bytes (a new device's first sync). */
export function folderProgress(stream: TextStream, dir: string): (step: ProgressStep) => void {
  let bar: ProgressBar | null = null;
  let shown = 0;
  return (step) => {
    if (stream.isTTY !== true || step.totalBytes === 0) return;
    const large = step.total >= PROGRESS_FILES || step.totalBytes >= PROGRESS_THRESHOLD_BYTES;
    if (bar === null && large && step.done < step.total) {
      bar = new ProgressBar(stream, `sync ${dir}`, step.totalBytes);
      shown = 0;
    }
    bar?.advance(step.bytes - shown);
    shown = step.bytes;
    if (step.done === step.total) {
      bar?.finish(true);
      bar = null;
    }
  };
}

export interface ProgressStep {
  done: number;
  total: number;
  bytes: number;
  totalBytes: number;
}

/** One line for a file that changed (nothing for `unchanged`). */
export function outcomeText(o: FileOutcome): string {
  const version = o.version === null ? "" : ` (version ${o.version})`;
  switch (o.action) {
    case "uploaded":
      return `pushed ${o.path}${version}`;
    case "downloaded":
      return `pulled ${o.path}${version}`;
    case "merged":
      return `merged ${o.path} both ways${version}`;
    case "deleted":
      return `deleted ${o.path} everywhere${version}; its history keeps it`;
    case "removed":
      return `removed ${o.path}: deleted on another device`;
    case "kept":
      return `kept ${o.path}: edited here while deleted on another device${version}`;
    case "skipped":
      return `skipped ${o.path}: ${o.reason ?? "not readable now"} (will retry)`;
    case "failed":
      return `failed ${o.path}: ${o.error instanceof Error ? o.error.message : String(o.error)}`;
    default:
      return `${o.path} unchanged`;
  }
}

/** The JSON of an outcome: the error as its code and message. */
export function outcomeJson(o: FileOutcome): Record<string, unknown> {
  const error =
    o.error === undefined
      ? undefined
      : {
          code: o.error instanceof SyncError ? o.error.code : "internal_error",
          message: o.error instanceof Error ? o.error.message : String(o.error),
        };
  return {
    path: o.path,
    doc: o.doc,
    action: o.action,
    version: o.version,
    ...(o.reason === undefined ? {} : { reason: o.reason }),
    ...(error === undefined ? {} : { error }),
  };
}
