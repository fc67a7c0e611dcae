// client/cli/commands/: one file per command (its options, help and run); this list registers them.
/** Every command of the CLI, in the order `cloud-sync --help` lists them. */
import type { Command } from "./command.ts";
import { account } from "./commands/account.ts";
import { deviceId } from "./commands/device-id.ts";
import { devices } from "./commands/devices.ts";
import { docs } from "./commands/docs.ts";
import { exportCommand } from "./commands/export.ts";
import { history } from "./commands/history.ts";
import { importCommand } from "./commands/import.ts";
import { keygen } from "./commands/keygen.ts";
import { legacyUrl } from "./commands/legacy-url.ts";
import { pull } from "./commands/pull.ts";
import { push } from "./commands/push.ts";
import { rollback } from "./commands/rollback.ts";
import { rotateKey } from "./commands/rotate-key.ts";
import { status } from "./commands/status.ts";
import { sync } from "./commands/sync.ts";
import { watch } from "./commands/watch.ts";

export const COMMANDS: readonly Command[] = [
  keygen,
  deviceId,
  legacyUrl,
  push,
  pull,
  sync,
  watch,
  docs,
  exportCommand,
  importCommand,
  status,
  devices,
  history,
  rollback,
  rotateKey,
  account,
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
