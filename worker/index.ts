import { Hono } from "hono";

const app = new Hono();
app.get("/", (c) => c.json({ service: "project-ai-cloud-sync", version: "0.1.0" }));

export default app;
export { UserHub } from "./realtime/user-hub.ts";
