/**
 * mulberry32 (Tommy Ettinger's public-domain 32-bit PRNG): small, fast, a 2^32 period. Seeded runs
 * (fault schedules, bench states, crash points) repeat exactly; not for secrets.
 */

/** A function returning numbers in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
