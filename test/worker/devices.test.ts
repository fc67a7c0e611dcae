import { describe, expect, it } from "vitest";
import { call, errorOf } from "./support/api.ts";
import type { DeviceRecord as Device } from "../../worker/storage/devices.ts";
import { claimedUser, getDoc, putDoc, type TestUser } from "./support/docs.ts";

async function devicesOf(u: TestUser): Promise<Device[]> {
  const res = await call(`/v1/users/${u.user}/devices`, { headers: u.auth });
  expect(res.status).toBe(200);
  const { devices } = (await res.json()) as { devices: Device[] };
  return devices.sort((a, b) => a.device_id.localeCompare(b.device_id));
}

function register(u: TestUser, id: string, body: unknown) {
  return call(`/v1/users/${u.user}/devices/${id}`, {
    method: "PUT",
    headers: { ...u.auth, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("the device registry", () => {
  it("lists three devices after each uploads, with their upload times", async () => {
    const u = await claimedUser();
    for (const id of ["laptop", "phone", "tablet"]) await putDoc(u, "notes", undefined, { "X-Device-Id": id });
    const devices = await devicesOf(u);
    expect(devices.map((d) => d.device_id)).toEqual(["laptop", "phone", "tablet"]);
    for (const d of devices) {
      expect(d.last_upload).not.toBeNull();
      expect(d.last_sync).toBe(d.last_upload);
      expect(d.last_download).toBeNull();
      expect(d.first_seen).toBe(d.last_upload);
    }
  });

  it("records a download by a device that sends X-Device-Id", async () => {
    const u = await claimedUser();
    await putDoc(u, "notes", undefined, { "X-Device-Id": "laptop" });
    await getDoc(u, "notes", { "X-Device-Id": "phone" });
    const phone = (await devicesOf(u)).find((d) => d.device_id === "phone");
    expect(phone?.last_download).not.toBeNull();
    expect(phone?.last_upload).toBeNull();
  });

  it("registers a device with a name and platform, and renames it keeping first_seen", async () => {
    const u = await claimedUser();
    const first = await register(u, "laptop", { name: "Work laptop", platform: "linux" });
    expect(first.status).toBe(200);
    const created = (await first.json()) as Device;
    expect(created).toMatchObject({ device_id: "laptop", name: "Work laptop", platform: "linux", last_upload: null });
    const renamed = (await (await register(u, "laptop", { name: "Old laptop", platform: "linux" })).json()) as Device;
    expect(renamed.name).toBe("Old laptop");
    expect(renamed.first_seen).toBe(created.first_seen);
    expect((await devicesOf(u)).map((d) => d.name)).toEqual(["Old laptop"]);
  });

  it("keeps a device's name when it later uploads", async () => {
    const u = await claimedUser();
    await register(u, "laptop", { name: "Mine", platform: "macos" });
    await putDoc(u, "notes", undefined, { "X-Device-Id": "laptop" });
    expect(await devicesOf(u)).toMatchObject([{ device_id: "laptop", name: "Mine", platform: "macos" }]);
  });

  it("removes a device so it disappears from the list", async () => {
    const u = await claimedUser();
    await register(u, "laptop", { name: "A", platform: "linux" });
    await register(u, "phone", { name: "B", platform: "android" });
    expect((await call(`/v1/users/${u.user}/devices/laptop`, { method: "DELETE", headers: u.admin })).status).toBe(204);
    expect((await devicesOf(u)).map((d) => d.device_id)).toEqual(["phone"]);
  });

  it("answers 404 when removing an unknown device", async () => {
    const u = await claimedUser();
    expect(
      await errorOf(await call(`/v1/users/${u.user}/devices/ghost`, { method: "DELETE", headers: u.admin })),
    ).toEqual({
      status: 404,
      code: "not_found",
      message: "no such device",
    });
  });

  it("rejects a name with a control character", async () => {
    const u = await claimedUser();
    expect(await errorOf(await register(u, "laptop", { name: "a\u0007b", platform: "linux" }))).toEqual({
      status: 400,
      code: "bad_request",
      message: "name: name must be 1-64 characters without control characters",
    });
  });

  it("rejects a missing platform", async () => {
    const u = await claimedUser();
    expect(await errorOf(await register(u, "laptop", { name: "x" }))).toEqual({
      status: 400,
      code: "bad_request",
      message: "platform is missing or not a string",
    });
  });

  it("rejects a device id with '..' as invalid_name", async () => {
    const u = await claimedUser();
    expect(await errorOf(await register(u, "a..b", { name: "x", platform: "y" }))).toMatchObject({
      status: 400,
      code: "invalid_name",
    });
  });
});
