/**
 * Generates a deterministic, realistic Project-AI state (preferences, AI persona, learning
 * progress and a memory of conversation turns) of a requested JSON size, from a seeded PRNG, so
 * that every bench run measures the same bytes.
 */
import { seededRandom } from "../test/support/seeded-random.ts";

export interface ProjectAiState {
  preferences: Record<string, unknown>;
  ai_persona: Record<string, unknown>;
  learning: { topics: Record<string, LearningTopic>; streak_days: number; badges: string[] };
  memory: { knowledge: Record<string, KnowledgeFact[]>; conversations: Conversation[] };
  timestamp: string;
}

export interface LearningTopic {
  level: number;
  xp: number;
  lessons_completed: string[];
  quiz_scores: number[];
  last_studied: string;
}

export interface KnowledgeFact {
  key: string;
  value: string;
  learned_at: string;
  confidence: number;
}

export interface Conversation {
  id: string;
  started_at: string;
  title: string;
  turns: Turn[];
}

export interface Turn {
  id: string;
  role: "user" | "assistant";
  content: string;
  timestamp: string;
  sentiment: number;
  tokens: number;
}

export interface StateOptions {
  /**
   * Size of `JSON.stringify(state)` to reach, in bytes (the result is within one turn of it). Below
   * about 25 KB the fixed parts (preferences, persona, learning, knowledge) alone exceed it.
   */
  bytes: number;
  /** PRNG seed; the same seed and size always give the same state. */
  seed?: number;
}

// Common words, most frequent first, so a Zipf draw reads like chat; rarer made-up words follow
// to give the text the entropy of real conversation (gzip takes it to about a third, as English).
const COMMON = (
  "the to and of a i you it in is that for this with be on can have what do not my are your " +
  "so we as but if about how me was will like just at or an would from they there more one " +
  "could think know help time want some when which make also need good get did should because " +
  "really any here them then today work try use these other maybe where now learn day over project " +
  "idea please thanks much way question still explain remember yesterday music plan write code " +
  "python data model memory feel better sure example again tomorrow week study practice book " +
  "recipe garden travel weather sleep health reminder meeting email list note goal focus"
).split(" ");
const SYLLABLES =
  "ka lo mi ne ri ta su ve po an el or in us ba de fi go hu ja ke la mo nu pe qu ra se ti vo wy xe zo".split(" ");

function makeVocabulary(random: () => number): string[] {
  const words = [...COMMON];
  const seen = new Set(words);
  while (words.length < 12000) {
    const n = 2 + Math.floor(random() * 3);
    let w = "";
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(random() * SYLLABLES.length)]!;
    if (!seen.has(w)) {
      seen.add(w);
      words.push(w);
    }
  }
  return words;
}

/** Draws word indices with a Zipf (s = 1) distribution through a precomputed cumulative table. */
function makeZipf(size: number, random: () => number): () => number {
  const cumulative = new Float64Array(size);
  let total = 0;
  for (let i = 0; i < size; i++) cumulative[i] = total += 1 / (i + 1);
  return () => {
    const x = random() * total;
    let lo = 0;
    let hi = size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const BASE_TIME = Date.UTC(2025, 0, 6, 8, 0, 0);
const TOPICS = [
  "python",
  "spanish",
  "statistics",
  "guitar",
  "cooking",
  "history",
  "chess",
  "photography",
  "physics",
  "writing",
  "machine-learning",
  "gardening",
];
const BADGES = [
  "first-lesson",
  "week-streak",
  "month-streak",
  "quiz-master",
  "night-owl",
  "early-bird",
  "polyglot",
  "centurion",
];

/** A naive ISO timestamp with microseconds, as the Python module's `datetime.now().isoformat()` writes them. */
function isoAt(ms: number, micros: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}.${String(micros).padStart(6, "0")}`;
}

/** Generates a state whose `JSON.stringify` length is `bytes` or at most one turn above it. */
export function generateState(options: StateOptions): ProjectAiState {
  if (!Number.isFinite(options.bytes) || options.bytes < 4096) throw new RangeError("bytes must be at least 4096");
  const random = seededRandom(options.seed ?? 1);
  const vocabulary = makeVocabulary(random);
  const zipf = makeZipf(vocabulary.length, random);
  const int = (n: number) => Math.floor(random() * n);
  const hex = (n: number) => {
    let s = "";
    for (let i = 0; i < n; i++) s += "0123456789abcdef"[int(16)];
    return s;
  };
  const sentence = (min: number, max: number) => {
    const n = min + int(max - min + 1);
    const words: string[] = [];
    for (let i = 0; i < n; i++) words.push(vocabulary[zipf()]!);
    const text = words.join(" ");
    return text.charAt(0).toUpperCase() + text.slice(1) + (random() < 0.2 ? "?" : ".");
  };
  const paragraph = (sentences: number) => Array.from({ length: sentences }, () => sentence(4, 18)).join(" ");
  let clock = BASE_TIME;
  const tick = (maxSeconds: number) => {
    clock += 1000 * (1 + int(maxSeconds));
    return isoAt(clock, int(1_000_000));
  };

  const state: ProjectAiState = {
    preferences: makePreferences(random, int),
    ai_persona: {
      name: "Nova",
      personality: Object.fromEntries(
        ["curiosity", "empathy", "humor", "patience", "creativity", "formality", "verbosity", "optimism"].map((t) => [
          t,
          round(random()),
        ]),
      ),
      mood: { current: "content", energy: round(random()), valence: round(random()), updated_at: tick(60) },
      interaction_count: 0,
      backstory: paragraph(6),
      speaking_style: paragraph(2),
    },
    learning: {
      topics: Object.fromEntries(
        TOPICS.map((topic) => [
          topic,
          {
            level: 1 + int(10),
            xp: int(20_000),
            lessons_completed: Array.from(
              { length: 5 + int(30) },
              (_, i) => `${topic}-${String(i + 1).padStart(3, "0")}`,
            ),
            quiz_scores: Array.from({ length: 3 + int(12) }, () => int(101)),
            last_studied: tick(3600),
          },
        ]),
      ),
      streak_days: int(200),
      badges: BADGES.filter(() => random() < 0.6),
    },
    memory: {
      knowledge: Object.fromEntries(
        ["people", "places", "likes", "dislikes", "routines", "goals"].map((category) => [
          category,
          Array.from({ length: 10 + int(20) }, () => ({
            key: sentence(1, 3).slice(0, -1).toLowerCase(),
            value: sentence(3, 12),
            learned_at: tick(7200),
            confidence: round(random()),
          })),
        ]),
      ),
      conversations: [],
    },
    timestamp: "",
  };

  // The timestamp field is written last but its width is fixed, so measure with a placeholder of that width.
  state.timestamp = isoAt(clock, 0);
  let size = JSON.stringify(state).length;
  const conversations = state.memory.conversations;
  let turnCount = 0;
  while (size < options.bytes) {
    const conversation: Conversation = {
      id: hex(16),
      started_at: tick(20_000),
      title: sentence(2, 6).slice(0, -1),
      turns: [],
    };
    // The first conversation replaces "[]" inside its array; later ones add a comma.
    size += JSON.stringify(conversation).length + (conversations.length > 0 ? 1 : 0);
    conversations.push(conversation);
    const turns = 2 * (2 + int(20));
    for (let i = 0; i < turns && size < options.bytes; i++) {
      const role = i % 2 === 0 ? "user" : "assistant";
      const content = role === "user" ? sentence(3, 25) : paragraph(1 + int(4));
      const turn: Turn = {
        id: hex(12),
        role,
        content,
        timestamp: tick(90),
        sentiment: round(random() * 2 - 1),
        tokens: Math.ceil(content.length / 4),
      };
      size += JSON.stringify(turn).length + (conversation.turns.length > 0 ? 1 : 0);
      conversation.turns.push(turn);
      turnCount++;
    }
  }
  // Measured as "0" above; the real count adds a few digits, well inside the one-turn tolerance.
  state.ai_persona["interaction_count"] = turnCount;
  state.timestamp = isoAt(clock, 0);
  return state;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function makePreferences(random: () => number, int: (n: number) => number): Record<string, unknown> {
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return {
    theme: pick(["dark", "light", "system"]),
    language: pick(["en", "es", "de", "fr", "ja"]),
    font_size: 12 + int(8),
    timezone: pick(["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"]),
    notifications: {
      enabled: true,
      sound: random() < 0.5,
      quiet_hours: { start: "22:00", end: "07:00" },
      digest: pick(["daily", "weekly", "off"]),
    },
    voice: { enabled: random() < 0.5, speed: round(0.8 + random() * 0.6), voice_id: pick(["alloy", "sage", "ember"]) },
    privacy: { share_usage: false, store_history: true, history_days: pick([30, 90, 365]) },
    assistant: {
      response_length: pick(["short", "medium", "long"]),
      proactive_suggestions: random() < 0.5,
      emoji: random() < 0.3,
    },
    shortcuts: { new_chat: "Ctrl+N", search: "Ctrl+K", toggle_voice: "Ctrl+Shift+V" },
    auto_sync: { enabled: true, interval_seconds: 600 },
  };
}

/** The state after one preference changes (the theme flips), for the one-change wire rows. */
export function withOnePreferenceChanged(state: ProjectAiState): ProjectAiState {
  const theme = state.preferences["theme"] === "dark" ? "light" : "dark";
  return { ...state, preferences: { ...state.preferences, theme } };
}

/**
 * One conversation turn of about 300 bytes, as Project-AI's log_conversation adds one: inside the
 * newest conversation, which the merge rules hold as one record of the `conversations` list.
 */
export function oneTurn(n: number): Turn {
  return {
    id: `appended-${String(n).padStart(6, "0")}`,
    role: "user",
    content:
      `Turn ${n}: ${"tell me more about that idea and how it connects to what we covered before. ".repeat(3)}`.slice(
        0,
        220,
      ),
    timestamp: new Date(Date.UTC(2026, 11, 1, 0, 0, 0) + n * 1000).toISOString(),
    sentiment: 0.1,
    tokens: 55,
  };
}

/** The state with `turn` appended to its newest conversation (structure shared, nothing else copied). */
export function withTurnAppended(state: ProjectAiState, turn: Turn): ProjectAiState {
  const conversations = state.memory.conversations;
  const last = conversations[conversations.length - 1]!;
  const grown = { ...last, turns: [...last.turns, turn] };
  return { ...state, memory: { ...state.memory, conversations: [...conversations.slice(0, -1), grown] } };
}
