/** A line diff (longest common subsequence) for comparing a past version with the current one. */

export type DiffLine = { kind: "same" | "added" | "removed"; text: string };

/** Past this many lines on either side the quadratic table is too big for a phone; say so instead. */
export const MAX_DIFF_LINES = 3000;

/**
 * The lines of `before` and `after`, each marked kept, removed (only in before) or added (only in after).
 * Returns null when either side exceeds MAX_DIFF_LINES.
 *
 * @example
 * lineDiff("a\nb", "a\nc"); // [same a, removed b, added c]
 */
export function lineDiff(before: string, after: string): DiffLine[] | null {
  const a = before.split("\n");
  const b = after.split("\n");
  if (a.length > MAX_DIFF_LINES || b.length > MAX_DIFF_LINES) return null;
  // Trim the shared head and tail first: versions of one document mostly agree.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head += 1;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail])
    tail += 1;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);

  const n = midA.length;
  const m = midB.length;
  // lcs[i][j] = length of the LCS of midA[i..] and midB[j..], in one flat array.
  const lcs = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      lcs[i * (m + 1) + j] =
        midA[i] === midB[j]
          ? (lcs[(i + 1) * (m + 1) + j + 1] ?? 0) + 1
          : Math.max(lcs[(i + 1) * (m + 1) + j] ?? 0, lcs[i * (m + 1) + j + 1] ?? 0);
    }
  }
  const out: DiffLine[] = a.slice(0, head).map((text) => ({ kind: "same", text }));
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (midA[i] === midB[j]) {
      out.push({ kind: "same", text: midA[i] as string });
      i += 1;
      j += 1;
    } else if ((lcs[(i + 1) * (m + 1) + j] ?? 0) >= (lcs[i * (m + 1) + j + 1] ?? 0)) {
      out.push({ kind: "removed", text: midA[i] as string });
      i += 1;
    } else {
      out.push({ kind: "added", text: midB[j] as string });
      j += 1;
    }
  }
  for (; i < n; i += 1) out.push({ kind: "removed", text: midA[i] as string });
  for (; j < m; j += 1) out.push({ kind: "added", text: midB[j] as string });
  for (const text of a.slice(a.length - tail)) out.push({ kind: "same", text });
  return out;
}
