/** The dashboard's tables: scrollable on a phone, with a caption for screen readers and column headers. */
import { h } from "./element.ts";

/** A column header; null is an actions column, named only for screen readers. */
type Column = string | null;

/**
 * @example
 * dataTable("devices-table", "Devices", ["Device", "Platform", null], rows);
 */
export function dataTable(
  id: string,
  caption: string,
  columns: readonly Column[],
  rows: readonly HTMLTableRowElement[],
): HTMLElement {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { id },
      h("caption", { class: "visually-hidden" }, caption),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...columns.map((c) => h("th", { scope: "col" }, c ?? h("span", { class: "visually-hidden" }, "Actions"))),
        ),
      ),
      h("tbody", {}, ...rows),
    ),
  );
}
