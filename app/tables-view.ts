/** The devices and documents tables of the dashboard. */
import type { DeviceRecord, DocumentInfo } from "../client/core/index.ts";
import { dataTable } from "./data-table.ts";
import { h } from "./element.ts";
import { formatBytes, formatTime, machineTime } from "./format.ts";

function time(iso: string | null | undefined): HTMLElement {
  const machine = machineTime(iso);
  return machine === "" ? h("span", {}, "never") : h("time", { datetime: machine }, formatTime(iso));
}

/** A device's display name: its registered name, else its id. */
export function deviceLabel(devices: readonly DeviceRecord[], deviceId: string): string {
  const device = devices.find((d) => d.device_id === deviceId);
  return device?.name ? device.name : deviceId;
}

export function devicesTable(devices: readonly DeviceRecord[], onRemove: (device: DeviceRecord) => void): HTMLElement {
  if (devices.length === 0) return h("p", { class: "empty" }, "No device has synced yet.");
  return dataTable(
    "devices-table",
    "Devices that sync this account",
    ["Device", "Platform", "First seen", "Last sync", null],
    devices.map((d) =>
      h(
        "tr",
        { "data-device": d.device_id },
        h(
          "th",
          { scope: "row" },
          d.name ? h("span", {}, d.name, h("br"), h("code", {}, d.device_id)) : h("code", {}, d.device_id),
        ),
        h("td", {}, d.platform ?? "unknown"),
        h("td", {}, time(d.first_seen)),
        h("td", {}, time(d.last_sync)),
        h(
          "td",
          {},
          h(
            "button",
            {
              type: "button",
              class: "danger",
              "aria-label": `Remove device ${d.name ?? d.device_id}`,
              onclick: () => onRemove(d),
            },
            "Remove",
          ),
        ),
      ),
    ),
  );
}

export function documentsTable(
  documents: readonly DocumentInfo[],
  devices: readonly DeviceRecord[],
  selected: string | null,
  onSelect: (doc: string) => void,
): HTMLElement {
  if (documents.length === 0) return h("p", { class: "empty" }, "No documents yet.");
  return dataTable(
    "documents-table",
    "Documents of this account",
    ["Document", "Size", "Version", "Last writer", "Updated"],
    documents.map((doc) =>
      h(
        "tr",
        { "data-doc": doc.name, class: doc.name === selected ? "selected" : null },
        h(
          "th",
          { scope: "row" },
          h(
            "button",
            {
              type: "button",
              class: "link",
              "aria-pressed": doc.name === selected ? "true" : "false",
              "aria-label": `Show history of ${doc.name}`,
              onclick: () => onSelect(doc.name),
            },
            doc.name,
          ),
        ),
        h("td", { class: "nowrap" }, formatBytes(doc.size)),
        h("td", { class: "version" }, doc.version),
        h("td", {}, deviceLabel(devices, doc.device_id)),
        h("td", {}, time(doc.updated_at)),
      ),
    ),
  );
}
