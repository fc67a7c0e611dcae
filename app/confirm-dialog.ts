/** Asks for confirmation in a modal <dialog>: focus moves in, Escape cancels, and focus returns after. */
import { h } from "./element.ts";

/**
 * Resolves true only when the person presses the confirm button.
 *
 * @example
 * if (await confirmAction({ title: "Remove device?", body: "…", confirm: "Remove" })) await api.removeDevice(...);
 */
export function confirmAction(text: { title: string; body: string; confirm: string }): Promise<boolean> {
  const returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const titleId = `confirm-title-${Math.random().toString(36).slice(2)}`;
  const dialog = h(
    "dialog",
    { class: "confirm", "aria-labelledby": titleId },
    h(
      "form",
      { method: "dialog" },
      h("h2", { id: titleId }, text.title),
      h("p", {}, text.body),
      h(
        "div",
        { class: "actions" },
        h("button", { value: "cancel", type: "submit", autofocus: true }, "Cancel"),
        h("button", { value: "confirm", type: "submit", class: "danger" }, text.confirm),
      ),
    ),
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "confirm");
      dialog.remove();
      returnFocus?.focus();
    });
    dialog.showModal();
  });
}
