/**
 * The dashboard at /app/: sign in with a key or passphrase (kept in this page), then see devices,
 * documents and history, restore versions and remove devices, updated live over the user's socket.
 */
import {
  LiveSubscription,
  type DeviceRecord,
  type DocumentInfo,
  type LiveStatus,
  type HistoryEntry,
  type VersionAnnouncement,
} from "../client/core/index.ts";
import { confirmAction } from "./confirm-dialog.ts";
import { h, replace } from "./element.ts";
import { formatTime } from "./format.ts";
import { historyPanel, versionDetail } from "./history-view.ts";
import { describeError, openSession, readVersion, type Session } from "./session.ts";
import { deviceLabel, devicesTable, documentsTable } from "./tables-view.ts";

/** How often to refresh while the live socket is down (the CLI's polling default is minutes). */
const FALLBACK_POLL_MS = 30_000;
const ACTIVITY_KEPT = 20;

interface State {
  session: Session;
  devices: DeviceRecord[];
  documents: DocumentInfo[];
  selectedDoc: string | null;
  versions: HistoryEntry[];
  selectedVersion: number | null;
  live: LiveSubscription;
  poll: ReturnType<typeof setInterval> | undefined;
  dashboardRegistered: boolean;
}

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`missing #${id}`);
  return el as T;
}

const ui = {
  login: byId<HTMLElement>("login"),
  loginForm: byId<HTMLFormElement>("login-form"),
  loginError: byId<HTMLElement>("login-error"),
  loginButton: byId<HTMLButtonElement>("login-submit"),
  dashboard: byId<HTMLElement>("dashboard"),
  heading: byId<HTMLElement>("dashboard-heading"),
  liveStatus: byId<HTMLElement>("live-status"),
  notice: byId<HTMLElement>("notice"),
  devices: byId<HTMLElement>("devices"),
  documents: byId<HTMLElement>("documents"),
  history: byId<HTMLElement>("history"),
  historyHeading: byId<HTMLElement>("history-heading"),
  historyBody: byId<HTMLElement>("history-body"),
  versionDetail: byId<HTMLElement>("version-detail"),
  activity: byId<HTMLOListElement>("activity"),
  signOut: byId<HTMLButtonElement>("sign-out"),
};

let state: State | null = null;

ui.loginForm.addEventListener("submit", (event) => {
  event.preventDefault();
  void signIn();
});
ui.signOut.addEventListener("click", signOut);

async function signIn(): Promise<void> {
  const form = new FormData(ui.loginForm);
  const secretInput = byId<HTMLInputElement>("secret");
  ui.loginError.textContent = "";
  ui.loginButton.disabled = true;
  ui.loginButton.textContent = "Signing in…";
  try {
    const session = await openSession({
      username: String(form.get("username") ?? ""),
      secret: String(form.get("secret") ?? ""),
      kind: form.get("kind") === "passphrase" ? "passphrase" : "key",
      baseUrl: location.origin,
    });
    // The secret has done its work; nothing keeps it but the derived Fernet object in memory.
    secretInput.value = "";
    start(session);
  } catch (error) {
    ui.loginError.textContent = describeError(error);
    secretInput.focus();
  } finally {
    ui.loginButton.disabled = false;
    ui.loginButton.textContent = "Sign in";
  }
}

function start(session: Session): void {
  const live = new LiveSubscription({ baseUrl: session.baseUrl, username: session.username, token: session.token });
  state = {
    session,
    devices: [],
    documents: [],
    selectedDoc: null,
    versions: [],
    selectedVersion: null,
    live,
    poll: undefined,
    dashboardRegistered: false,
  };
  live.onVersion(onAnnouncement);
  live.onStatus(onLiveStatus);
  ui.login.hidden = true;
  ui.dashboard.hidden = false;
  ui.signOut.hidden = false;
  ui.heading.textContent = `Signed in as ${session.username}`;
  replace(ui.activity);
  ui.heading.focus();
  void refresh();
  live.start();
}

function signOut(): void {
  if (state === null) return;
  state.live.close();
  if (state.poll !== undefined) clearInterval(state.poll);
  state = null;
  ui.dashboard.hidden = true;
  ui.signOut.hidden = true;
  ui.history.hidden = true;
  ui.login.hidden = false;
  ui.liveStatus.textContent = "";
  byId<HTMLInputElement>("username").focus();
}

async function refresh(): Promise<void> {
  const s = state;
  if (s === null) return;
  try {
    const [devices, documents] = await Promise.all([
      s.session.api.listDevices(s.session.username),
      s.session.api.listDocuments(s.session.username),
    ]);
    if (state !== s) return;
    s.devices = devices;
    s.documents = documents.sort((a, b) => a.name.localeCompare(b.name));
    renderTables();
    if (s.selectedDoc !== null) await loadHistory(s.selectedDoc, false);
  } catch (error) {
    notify(describeError(error));
  }
}

function renderTables(): void {
  const s = state;
  if (s === null) return;
  replace(
    ui.devices,
    devicesTable(s.devices, (d) => void removeDevice(d)),
  );
  replace(
    ui.documents,
    documentsTable(s.documents, s.devices, s.selectedDoc, (doc) => void selectDocument(doc)),
  );
}

const label = (deviceId: string) => (state === null ? deviceId : deviceLabel(state.devices, deviceId));

async function selectDocument(doc: string): Promise<void> {
  if (state === null) return;
  state.selectedDoc = doc;
  state.selectedVersion = null;
  replace(ui.versionDetail);
  renderTables();
  await loadHistory(doc, true);
}

async function loadHistory(doc: string, focus: boolean): Promise<void> {
  const s = state;
  if (s === null) return;
  try {
    // Through the library: it opens each version to show the device sealed inside it, not only the
    // device id the server recorded from the writing request (which any bearer-token holder sets).
    const versions = await s.session.manager.listVersions(s.session.username, { doc });
    if (state !== s || s.selectedDoc !== doc) return;
    s.versions = versions;
    ui.history.hidden = false;
    ui.historyHeading.textContent = `History of ${doc}`;
    renderHistory();
    if (focus) ui.historyHeading.focus();
  } catch (error) {
    notify(describeError(error));
  }
}

function renderHistory(): void {
  const s = state;
  if (s === null) return;
  replace(
    ui.historyBody,
    historyPanel(s.versions, s.selectedVersion, {
      label,
      onView: (v) => void viewVersion(v),
      onRestore: (v) => void restoreVersion(v),
    }),
  );
}

async function viewVersion(version: number): Promise<void> {
  const s = state;
  const doc = s?.selectedDoc;
  if (s === null || doc === null || doc === undefined) return;
  const info = s.versions.find((v) => v.version === version);
  const currentInfo = s.versions[0];
  if (info === undefined || currentInfo === undefined) return;
  s.selectedVersion = version;
  renderHistory();
  replace(ui.versionDetail, h("p", { role: "status" }, `Decrypting version ${version}…`));
  try {
    const [envelope, current] = await Promise.all([
      readVersion(s.session, doc, version),
      version === currentInfo.version ? null : readVersion(s.session, doc, currentInfo.version),
    ]);
    if (state !== s || s.selectedVersion !== version) return;
    replace(
      ui.versionDetail,
      versionDetail(
        info,
        envelope,
        current === null ? null : { version: currentInfo.version, envelope: current },
        label,
      ),
    );
    byId<HTMLElement>("version-heading").focus();
  } catch (error) {
    replace(ui.versionDetail, h("p", { class: "error", role: "alert" }, describeError(error)));
  }
}

async function restoreVersion(version: number): Promise<void> {
  const s = state;
  const doc = s?.selectedDoc;
  if (s === null || doc === null || doc === undefined) return;
  const current = s.versions[0]?.version;
  const ok = await confirmAction({
    title: `Restore version ${version} of ${doc}?`,
    body: `Its content becomes a new version ${current === undefined ? "" : current + 1}; every device picks it up on its next sync. Nothing is deleted: the current version stays in the history.`,
    confirm: "Restore",
  });
  if (!ok || state !== s) return;
  try {
    if (!s.dashboardRegistered) {
      await s.session.manager.registerDevice(s.session.username);
      s.dashboardRegistered = true;
    }
    // Written on top of whatever is current by then, so a write from another device meanwhile is not lost.
    const restored = await s.session.manager.rollback(s.session.username, { doc, version });
    notify(`Restored version ${version} of ${doc} as version ${restored.version}.`);
    await refresh();
  } catch (error) {
    notify(describeError(error));
  }
}

async function removeDevice(device: DeviceRecord): Promise<void> {
  const s = state;
  if (s === null) return;
  const name = device.name ?? device.device_id;
  const ok = await confirmAction({
    title: `Remove ${name}?`,
    body: "It disappears from this list. A device that still holds your key appears again when it next syncs: to lock it out for good, rotate the key.",
    confirm: "Remove device",
  });
  if (!ok || state !== s) return;
  try {
    await s.session.api.removeDevice(s.session.username, device.device_id);
    notify(`Removed ${name}.`);
    await refresh();
  } catch (error) {
    notify(describeError(error));
  }
}

function onAnnouncement(a: VersionAnnouncement): void {
  if (state === null) return;
  const item = h(
    "li",
    {},
    `${a.doc} is now version ${a.version}, written by ${label(a.device_id)} at ${formatTime(a.updated_at)}`,
  );
  ui.activity.prepend(item);
  while (ui.activity.children.length > ACTIVITY_KEPT) ui.activity.lastElementChild?.remove();
  void refresh();
}

function onLiveStatus(status: LiveStatus): void {
  const s = state;
  if (s === null) return;
  ui.liveStatus.dataset["state"] = status.state;
  switch (status.state) {
    case "open":
      ui.liveStatus.textContent = "Live: changes appear as devices sync.";
      if (s.poll !== undefined) {
        clearInterval(s.poll);
        s.poll = undefined;
        // Anything written while the socket was down arrived without an announcement.
        void refresh();
      }
      break;
    case "fallback":
      ui.liveStatus.textContent = `Live updates unavailable; checking every ${FALLBACK_POLL_MS / 1000} s.`;
      s.poll ??= setInterval(() => void refresh(), FALLBACK_POLL_MS);
      break;
    case "connecting":
      if (status.failures === 0) ui.liveStatus.textContent = "Connecting for live updates…";
      break;
    default:
      break;
  }
}

function notify(message: string): void {
  ui.notice.textContent = message;
}
