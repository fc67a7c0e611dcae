/** The devices and documents tables of the dashboard. */
import type { DeviceRecord, DocumentInfo } from "../client/core/http.ts";
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
  return h("div", { class: "table-wrap" },
    h("table", { id: "devices-table" },
      h("caption", { class: "visually-hidden" }, "Devices that sync this account"),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, "Device"),
        h("th", { scope: "col" }, "Platform"),
        h("th", { scope: "col" }, "First seen"),
        h("th", { scope: "col" }, "Last sync"),
        h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")),
      )),
      h("tbody", {}, ...devices.map((d) =>
        h("tr", { "data-device": d.device_id },
          h("th", { scope: "row" }, d.name ? h("span", {}, d.name, h("br"), h("code", {}, d.device_id)) : h("code", {}, d.device_id)),
          h("td", {}, d.platform ?? "unknown"),
          h("td", {}, time(d.first_seen)),
          h("td", {}, time(d.last_sync)),
          h("td", {}, h("button", {
            type: "button",
            class: "danger",
            "aria-label": `Remove device ${d.name ?? d.device_id}`,
            onclick: () => onRemove(d),
          }, "Remove")),
        ),
      )),
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
  return h("div", { class: "table-wrap" },
    h("table", { id: "documents-table" },
      h("caption", { class: "visually-hidden" }, "Documents of this account"),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, "Document"),
        h("th", { scope: "col" }, "Size"),
        h("th", { scope: "col" }, "Version"),
        h("th", { scope: "col" }, "Last writer"),
        h("th", { scope: "col" }, "Updated"),
      )),
      h("tbody", {}, ...documents.map((doc) =>
        h("tr", { "data-doc": doc.name, class: doc.name === selected ? "selected" : null },
          h("th", { scope: "row" }, h("button", {
            type: "button",
            class: "link",
            "aria-pressed": doc.name === selected ? "true" : "false",
            "aria-label": `Show history of ${doc.name}`,
            onclick: () => onSelect(doc.name),
          }, doc.name)),
          h("td", { class: "nowrap" }, formatBytes(doc.size)),
          h("td", { class: "version" }, doc.version),
          h("td", {}, deviceLabel(devices, doc.device_id)),
          h("td", {}, time(doc.updated_at)),
        ),
      )),
    ),
  );
}
