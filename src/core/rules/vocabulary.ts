/**
 * What a rule may name: variables, their fields, the window functions and durations. Plain data
 * with no CEL import, so the editor can offer completions without bundling the evaluator.
 */
import type { AttributeType } from "../tracking-plan";

export interface AttributeDef {
  entity: "event" | "profile";
  name: string;
  type: AttributeType;
}

export const WINDOW_FUNCTION_NAMES = ["count", "sum", "avg", "min", "max", "distinct"] as const;
export type WindowFunctionName = (typeof WINDOW_FUNCTION_NAMES)[number];

export interface WindowFunctionSpec {
  params: readonly ("name" | "prop" | "dur")[];
  /** CEL result type: count and distinct are ints; the aggregates are doubles. */
  returns: "int" | "double";
  doc: string;
}

export const WINDOW_FUNCTIONS: Record<WindowFunctionName, WindowFunctionSpec> = {
  count: { params: ["name", "dur"], returns: "int", doc: "Events named `name` of this profile within the last `dur`, this one included." },
  sum: { params: ["name", "prop", "dur"], returns: "double", doc: "Sum of the numeric prop `prop` over those events (0 when none)." },
  avg: { params: ["name", "prop", "dur"], returns: "double", doc: "Average of the numeric prop; a rule reading it over no values does not fire." },
  min: { params: ["name", "prop", "dur"], returns: "double", doc: "Smallest value of the numeric prop; a rule reading it over no values does not fire." },
  max: { params: ["name", "prop", "dur"], returns: "double", doc: "Largest value of the numeric prop; a rule reading it over no values does not fire." },
  distinct: { params: ["name", "prop", "dur"], returns: "int", doc: "Number of distinct values (strings or numbers) of the prop." },
};

export interface FieldSpec {
  name: string;
  /** The CEL type the checker uses. */
  type: string;
  doc: string;
}

export const EVENT_FIELDS: readonly FieldSpec[] = [
  { name: "id", type: "string", doc: "The event's id (UUIDv7)." },
  { name: "name", type: "string", doc: "The event name, e.g. 'purchase'." },
  { name: "time", type: "double", doc: "Client time of the event, epoch milliseconds." },
  { name: "profile_id", type: "dyn", doc: "The profile the event belongs to, or null." },
  { name: "props", type: "map", doc: "The event's properties." },
  { name: "ctx", type: "map<string, string>", doc: "Context: ip, user_agent, locale, device_type, os, app_version, country, …" },
];

export const PROFILE_FIELDS: readonly FieldSpec[] = [
  { name: "id", type: "dyn", doc: "The profile id, or null for events without a profile." },
  { name: "props", type: "map", doc: "The profile's properties as of this event." },
];

/** Functions called on `profile`. */
export const PROFILE_FUNCTIONS = {
  in_cohort: {
    params: ["key"],
    returns: "bool",
    doc: "True when the profile (or the person it was merged into) is in the project's cohort `key`. The worker refreshes membership every 30 s and soon after a cohort changes.",
  },
} as const;

export const CONTEXT_KEYS = ["ip", "user_agent", "locale", "device_type", "os", "app_version", "country", "region", "city", "session_id"] as const;

export const MAX_RULE_LENGTH = 4000;
export const MIN_WINDOW_MS = 1000;
export const MAX_WINDOW_MS = 7 * 24 * 3600 * 1000;

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^([1-9][0-9]{0,6})([smhd])$/;

export type DurationParse = { ok: true; ms: number } | { ok: false; message: string };

/** `'30s'`, `'5m'`, `'1h'`, `'24h'`, `'7d'`: a whole number and one unit, from 1 second to 7 days. */
export function parseWindowDuration(text: string): DurationParse {
  const match = DURATION.exec(text);
  if (!match) {
    const shown = text.length > 20 ? `${text.slice(0, 20)}…` : text;
    return { ok: false, message: `invalid window duration '${shown}': write a whole number and a unit s, m, h or d, like '30s', '5m', '1h', '7d'` };
  }
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (ms < MIN_WINDOW_MS || ms > MAX_WINDOW_MS) return { ok: false, message: `window duration '${text}' is out of range: use 1s to 7d` };
  return { ok: true, ms };
}

/** CEL type the checker gives a declared attribute. Numbers are doubles: JSON does not tell ints apart. */
export function celTypeOfAttribute(type: AttributeType): string {
  switch (type) {
    case "string":
      return "string";
    case "number":
      return "double";
    case "boolean":
      return "bool";
    case "array":
      return "list<dyn>";
    case "object":
      return "map<string, dyn>";
    case "timestamp":
      // Sent as ISO strings or epoch numbers; the checker cannot know which.
      return "dyn";
  }
}

/** "count of 'purchase' over 5m", for people. */
export function formatWindowNeed(need: { fn: WindowFunctionName; name: string; prop: string | null; durationMs: number }): string {
  const units: [number, string][] = [
    [86_400_000, "d"],
    [3_600_000, "h"],
    [60_000, "m"],
    [1000, "s"],
  ];
  const [size, unit] = units.find(([ms]) => need.durationMs % ms === 0) ?? [1000, "s"];
  const what = need.prop === null ? `'${need.name}'` : `${need.prop} of '${need.name}'`;
  return `${need.fn} of ${what} over ${need.durationMs / size}${unit}`;
}
