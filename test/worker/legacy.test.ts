import { describe, expect, it } from "vitest";
import { call, errorOf, postJson } from "./support/api.ts";
import { encryptedDataOf, fernetBytes, tokenFor, uniqueUser } from "./support/tokens.ts";

describe("seed routes under /legacy/<token>", () => {
  it("stores an upload and answers it to a download from another device", async () => {
    const user = uniqueUser();
    const token = await tokenFor(user);
    const data = encryptedDataOf(fernetBytes());
    const up = await postJson(`/legacy/${token}/upload`, { username: user, device_id: "aaaa000011112222", encrypted_data: data });
    expect(up.status).toBe(200);
    const upBody = (await up.json()) as { status: string; timestamp: string };
    expect(upBody.status).toBe("success");
    const down = await call(`/legacy/${token}/download?username=${user}&device_id=bbbb000011112222`);
    expect(down.status).toBe(200);
    expect(await down.json()).toEqual({ username: user, device_id: "aaaa000011112222", encrypted_data: data, timestamp: upBody.timestamp });
  });

  it("answers 401 to a wrong token", async () => {
    const user = uniqueUser();
    await postJson(`/legacy/${await tokenFor(user)}/upload`, { username: user, device_id: "a1", encrypted_data: encryptedDataOf(fernetBytes()) });
    const res = await call(`/legacy/${await tokenFor("other")}/download?username=${user}`);
    expect(await errorOf(res)).toEqual({ status: 401, code: "unauthorized", message: "missing or invalid credentials" });
  });
});
