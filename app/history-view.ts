/**
 * One document's history: the timeline chart, the version list, and a chosen version's content with
 * its diff. The writer shown is the device sealed inside each token; the server's record of it (the
 * writing request's own X-Device-Id claim) is shown only where it differs.
 */
import type { Envelope, HistoryEntry, VersionInfo } from "../client/core/index.ts";
import { dataTable } from "./data-table.ts";
import { h, s } from "./element.ts";
import { formatBytes, formatTime, machineTime } from "./format.ts";
import { deviceColours, historyChart } from "./history-chart.ts";
import { lineDiff } from "./line-diff.ts";

export interface HistoryActions {
  label: (deviceId: string) => string;
  onView: (version: number) => void;
  onRestore: (version: number) => void;
}

export function historyPanel(
  entries: readonly HistoryEntry[],
  selected: number | null,
  actions: HistoryActions,
): HTMLElement {
  const current = entries[0]?.version ?? null;
  // The chart and legend colour each version by the device sealed inside it, when this key opens it.
  const versions = entries.map((v) => ({ ...v, device_id: v.envelope_device_id ?? v.device_id }));
  const chart = historyChart(versions, {
    label: actions.label,
    onSelect: actions.onView,
    ...(selected === null ? {} : { selected }),
  });
  const legend = h(
    "ul",
    { class: "legend", "aria-label": "Devices in the chart" },
    ...legendItems(versions, actions.label),
  );
  return h(
    "div",
    {},
    h(
      "figure",
      { class: "chart" },
      chart,
      h("figcaption", {}, "Versions over time; each colour is a device. Select a point to view that version."),
      legend,
    ),
    dataTable(
      "versions-table",
      "Versions, newest first",
      ["Version", "Written", "Device", "Size", null],
      entries.map((v) =>
        h(
          "tr",
          { "data-version": v.version, class: v.version === selected ? "selected" : null },
          h(
            "th",
            { scope: "row" },
            v.version === current ? `${v.version} (current)` : String(v.version),
            ...kindNote(v),
          ),
          h("td", {}, h("time", { datetime: machineTime(v.updated_at) }, formatTime(v.updated_at))),
          h("td", {}, ...writerCell(v, actions.label)),
          h("td", { class: "nowrap" }, formatBytes(v.size)),
          h(
            "td",
            { class: "actions" },
            h(
              "button",
              { type: "button", "aria-label": `View version ${v.version}`, onclick: () => actions.onView(v.version) },
              "View",
            ),
            v.version === current
              ? null
              : h(
                  "button",
                  {
                    type: "button",
                    "aria-label": `Restore version ${v.version}`,
                    onclick: () => actions.onRestore(v.version),
                  },
                  "Restore",
                ),
          ),
        ),
      ),
    ),
  );
}

/** A change, a version a snapshot compacts, or one folded into a later snapshot: shown under its number. */
function kindNote(v: HistoryEntry): HTMLElement[] {
  const kind = v.kind === "change" ? "change" : v.kind === "folded" ? "rebuilt from a later snapshot" : null;
  const parts = [kind, v.snapshot === true ? "snapshot" : null].filter((p): p is string => p !== null);
  return parts.length === 0 ? [] : [h("br", {}), h("small", {}, parts.join(", "))];
}

function writerCell(v: HistoryEntry, label: (deviceId: string) => string): Array<HTMLElement | string> {
  if (v.envelope_device_id === null)
    return [label(v.device_id), h("br", {}), h("small", {}, "unverified: not readable with this key")];
  if (!v.device_mismatch) return [label(v.envelope_device_id)];
  return [
    label(v.envelope_device_id),
    h("br", {}),
    h("small", { class: "error" }, `the server recorded ${label(v.device_id)}, which the token does not confirm`),
  ];
}

function legendItems(versions: readonly VersionInfo[], label: (id: string) => string): HTMLElement[] {
  return [...deviceColours(versions)].map(([device, colour]) =>
    // An SVG mark, not a style attribute: the page's CSP allows no inline styles.
    h(
      "li",
      {},
      s(
        "svg",
        { class: "swatch", viewBox: "0 0 12 12", "aria-hidden": "true" },
        s("circle", { cx: 6, cy: 6, r: 6, fill: colour }),
      ),
      label(device),
    ),
  );
}

/** Pretty JSON of a document's data, the form both the viewer and the diff use. */
export function showData(envelope: Envelope): string {
  return JSON.stringify(envelope.data, null, 2) ?? "null";
}

export function versionDetail(
  version: VersionInfo,
  envelope: Envelope,
  current: { version: number; envelope: Envelope } | null,
  label: (deviceId: string) => string,
): HTMLElement {
  const text = showData(envelope);
  const parts: HTMLElement[] = [
    h("h3", { id: "version-heading", tabindex: -1 }, `Version ${version.version}`),
    h(
      "p",
      {},
      `Written by ${label(envelope.device_id)} on ${formatTime(version.updated_at)}; the writer's clock said ${envelope.timestamp}.` +
        (envelope.device_id === version.device_id
          ? ""
          : ` The server recorded ${label(version.device_id)} as the writer, which the token does not confirm.`),
    ),
    h("h4", {}, "Content"),
    h("pre", { class: "content", tabindex: 0, "aria-label": `Content of version ${version.version}` }, text),
  ];
  if (current !== null && current.version !== version.version) {
    const diff = lineDiff(text, showData(current.envelope));
    parts.push(h("h4", {}, `Changes from version ${version.version} to the current version ${current.version}`));
    if (diff === null) parts.push(h("p", {}, "Too large to compare here."));
    else if (diff.every((l) => l.kind === "same")) parts.push(h("p", {}, "Same content as the current version."));
    else {
      parts.push(
        h(
          "pre",
          {
            class: "diff",
            tabindex: 0,
            "aria-label":
              "Line differences: lines starting with minus are only in this version, plus only in the current one",
          },
          ...diff.map((line) =>
            h(
              "span",
              { class: line.kind },
              `${line.kind === "added" ? "+" : line.kind === "removed" ? "-" : " "} ${line.text}\n`,
            ),
          ),
        ),
      );
    }
  }
  return h("div", { class: "version-detail" }, ...parts);
}
