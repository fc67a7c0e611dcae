/**
 * A Project-AI `data/` folder as the application keeps it: the persona's state (traits, mood,
 * interaction count), a knowledge base of some hundreds of facts by category and key, the users
 * file, learning requests, settings, and the Python module's own sync_metadata.json (never synced).
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const CATEGORIES = ["general", "technology", "science", "history", "user_preferences", "health"];

export function projectAiFiles(): Record<string, unknown> {
  const knowledge: Record<string, Record<string, string>> = {};
  for (const category of CATEGORIES) {
    knowledge[category] = {};
    for (let i = 0; i < 50; i++)
      knowledge[category]![`fact_${i}`] = `${category} fact number ${i}: ${"detail ".repeat(3)}`;
  }
  return {
    "ai_persona/state.json": {
      personality: { curiosity: 0.8, empathy: 0.9, patience: 0.7, humor: 0.6, creativity: 0.75, formality: 0.3 },
      mood: { energy: 0.7, enthusiasm: 0.8, contentment: 0.75, engagement: 0.8 },
      interaction_count: 142,
      last_interaction: "2025-06-01T09:30:00",
      user_name: "Alice",
    },
    "memory/knowledge.json": knowledge,
    "users.json": {
      alice: { password_hash: "$2b$12$abcdefghijklmnopqrstuv", role: "admin", preferences: { theme: "dark" } },
      bob: { password_hash: "$2b$12$zyxwvutsrqponmlkjihgfe", role: "user", preferences: { theme: "light" } },
    },
    "learning_requests/requests.json": {
      req_001: { topic: "Quantum computing", priority: "high", status: "pending", created_at: "2025-05-20T10:00:00" },
      req_002: { topic: "Gardening", priority: "low", status: "approved", created_at: "2025-05-21T11:00:00" },
    },
    "settings.json": { language: "en", voice: { enabled: true, speed: 1.1 }, telemetry: false },
  };
}

export function writeFiles(dir: string, files: Record<string, unknown>): void {
  for (const [path, data] of Object.entries(files)) writeJson(join(dir, path), data);
  writeJson(join(dir, "sync_metadata.json"), { last_sync: "2025-06-01T09:00:00", device_id: "abc" });
}

export function writeJson(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(data, null, 2));
}

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, "utf8"));
}

/** Every JSON document file under `dir` (relative path -> parsed content), sync_metadata.json and hidden names left out. */
export function jsonTree(dir: string, rel = ""): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of readdirSync(join(dir, rel))) {
    const path = rel === "" ? name : `${rel}/${name}`;
    if (name.startsWith(".")) continue; // hidden: export's .history, temporary files
    if (statSync(join(dir, path)).isDirectory()) Object.assign(out, jsonTree(dir, path));
    else if (name.endsWith(".json") && name !== "sync_metadata.json") out[path] = readJson(join(dir, path));
  }
  return out;
}
