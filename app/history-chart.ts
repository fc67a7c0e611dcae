/** The per-document history timeline: an SVG chart of versions over time, one colour per device. */
import { s } from "./element.ts";

export interface ChartPoint {
  version: number;
  updated_at: string;
  device_id: string;
}

/** Colour-blind-friendly (Okabe-Ito), dark enough on white for WCAG's 3:1 graphics contrast. */
const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#7F6A00", "#56638A", "#A6361C", "#000000"];

const WIDTH = 640;
const HEIGHT = 220;
const PAD = { left: 44, right: 16, top: 14, bottom: 34 };
/** Keeps the first and last marks off the axes and their labels. */
const INSET = 14;

/** A stable colour for each device, in order of first appearance. */
export function deviceColours(points: readonly ChartPoint[]): Map<string, string> {
  const colours = new Map<string, string>();
  for (const p of [...points].sort((a, b) => a.version - b.version)) {
    if (!colours.has(p.device_id)) colours.set(p.device_id, PALETTE[colours.size % PALETTE.length] as string);
  }
  return colours;
}

/**
 * Draws the chart. Each point is a focusable button-like mark (Enter or click calls `onSelect`),
 * with a <title> naming version, device and time for pointer and screen-reader users alike.
 */
export function historyChart(
  points: readonly ChartPoint[],
  options: { label: (deviceId: string) => string; onSelect: (version: number) => void; selected?: number },
): SVGElement {
  const sorted = [...points].sort((a, b) => a.version - b.version);
  const colours = deviceColours(sorted);
  const times = sorted.map((p) => Date.parse(p.updated_at));
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const v0 = sorted[0]?.version ?? 1;
  const v1 = sorted.at(-1)?.version ?? 1;
  const x = (t: number) =>
    PAD.left + INSET + (t1 === t0 ? 0.5 : (t - t0) / (t1 - t0)) * (WIDTH - PAD.left - PAD.right - 2 * INSET);
  const y = (v: number) =>
    HEIGHT -
    PAD.bottom -
    INSET -
    (v1 === v0 ? 0.5 : (v - v0) / (v1 - v0)) * (HEIGHT - PAD.top - PAD.bottom - 2 * INSET);
  // Seconds matter when the whole history fits in an hour.
  const withSeconds = t1 - t0 < 3_600_000;

  const svg = s("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    class: "history-chart",
    role: "group",
    "aria-label": `Versions ${v0} to ${v1} over time, by device`,
  });
  svg.append(
    s("line", { x1: PAD.left, y1: HEIGHT - PAD.bottom, x2: WIDTH - PAD.right, y2: HEIGHT - PAD.bottom, class: "axis" }),
    s("line", { x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: HEIGHT - PAD.bottom, class: "axis" }),
    s("text", { x: PAD.left - 6, y: y(v1) + 4, "text-anchor": "end", class: "tick" }, `v${v1}`),
    s("text", { x: PAD.left - 6, y: y(v0) + 4, "text-anchor": "end", class: "tick" }, `v${v0}`),
    s("text", { x: x(t0), y: HEIGHT - 10, "text-anchor": "middle", class: "tick" }, shortTime(t0, withSeconds)),
  );
  if (t1 !== t0)
    svg.append(
      s("text", { x: x(t1), y: HEIGHT - 10, "text-anchor": "middle", class: "tick" }, shortTime(t1, withSeconds)),
    );
  // A step line: the document stays at a version until the next write.
  const path = sorted
    .map((p, i) => {
      const px = x(times[i] as number);
      const py = y(p.version);
      if (i === 0) return `M${px},${py}`;
      return `H${px}V${py}`;
    })
    .join("");
  svg.append(s("path", { d: path, class: "steps" }));

  sorted.forEach((p, i) => {
    const label = `Version ${p.version} by ${options.label(p.device_id)}, ${new Date(times[i] as number).toLocaleString()}`;
    const select = () => options.onSelect(p.version);
    const mark = s(
      "circle",
      {
        cx: x(times[i] as number),
        cy: y(p.version),
        r: p.version === options.selected ? 8 : 6,
        fill: colours.get(p.device_id) ?? "#000",
        class: p.version === options.selected ? "point selected" : "point",
        tabindex: 0,
        role: "button",
        "aria-label": label,
        "data-version": p.version,
        onclick: select,
        onkeydown: ((e: KeyboardEvent) => {
          if (e.key === "Enter" || e.key === " ") {
            e.preventDefault();
            select();
          }
        }) as EventListener,
      },
      s("title", {}, label),
    );
    svg.append(mark);
  });
  return svg;
}

function shortTime(ms: number, withSeconds: boolean): string {
  return new Date(ms).toLocaleString(undefined, {
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    ...(withSeconds ? { second: "2-digit" } : {}),
  });
}
