/**
 * Short form in `npm test`, long form with SOAK=1 (`npm run test:soak`). Seeds are fixed so a run
 * is reproducible; FC_SEED explores another, and every failure prints the seed that reproduces it.
 */
export const SOAK = process.env["SOAK"] === "1";

/** The seed for a suite: FC_SEED if set, else the suite's own fixed one. */
export function seedFor(fixed: number): number {
  const given = process.env["FC_SEED"];
  return given === undefined || given === "" ? fixed : Number(given);
}

/** `short` runs in npm test, `long` under SOAK=1. */
export function bySoak<T>(short: T, long: T): T {
  return SOAK ? long : short;
}
