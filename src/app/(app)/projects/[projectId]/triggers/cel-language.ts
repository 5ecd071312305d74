/**
 * CodeMirror support for trigger rules: CEL highlighting (a small stream tokenizer), completion
 * from the project's attributes and the rule vocabulary, and a tiny undo history (the editor is
 * built from @codemirror/view + state alone; @codemirror/commands is not a dependency).
 */
import { snippetCompletion, type Completion, type CompletionContext, type CompletionResult } from "@codemirror/autocomplete";
import { StreamLanguage, type StringStream } from "@codemirror/language";
import { StateEffect, StateField, type Extension, type Transaction } from "@codemirror/state";
import { keymap, type EditorView } from "@codemirror/view";
import {
  CONTEXT_KEYS,
  EVENT_FIELDS,
  PROFILE_FIELDS,
  PROFILE_FUNCTIONS,
  WINDOW_FUNCTIONS,
  WINDOW_FUNCTION_NAMES,
  type AttributeDef,
} from "~/core/rules/vocabulary";

const KEYWORDS = new Set(["in"]);
const ATOMS = new Set(["true", "false", "null"]);
const VARIABLES = new Set(["event", "profile", "window"]);
const FUNCTIONS = new Set([
  "has",
  "size",
  "int",
  "double",
  "string",
  "bool",
  "dyn",
  "type",
  "timestamp",
  "duration",
  "matches",
  "exists",
  "all",
  "map",
  "filter",
]);

interface CelState {
  afterDot: boolean;
}

export const celLanguage = StreamLanguage.define<CelState>({
  name: "cel",
  startState: () => ({ afterDot: false }),
  token(stream: StringStream, state: CelState) {
    if (stream.eatSpace()) return null;
    if (stream.match("//")) {
      stream.skipToEnd();
      return "comment";
    }
    const afterDot = state.afterDot;
    state.afterDot = false;
    if (stream.match(/^[rR]?('''|""")/)) {
      const close = stream.current().slice(-3);
      while (!stream.eol() && !stream.match(close)) stream.next();
      return "string";
    }
    if (stream.match(/^[rRbB]{0,2}(['"])/)) {
      const quote = stream.current().slice(-1);
      let escaped = false;
      while (!stream.eol()) {
        const next = stream.next();
        if (next === quote && !escaped) break;
        escaped = !escaped && next === "\\";
      }
      return "string";
    }
    if (stream.match(/^(0x[0-9a-fA-F]+|\d+(\.\d+)?([eE][+-]?\d+)?)u?/)) return "number";
    if (stream.match(/^[A-Za-z_][A-Za-z0-9_]*/)) {
      const word = stream.current();
      if (afterDot) return stream.peek() === "(" ? "function" : "propertyName";
      if (KEYWORDS.has(word)) return "keyword";
      if (ATOMS.has(word)) return "atom";
      if (VARIABLES.has(word)) return "variableName.special";
      if (FUNCTIONS.has(word) && stream.peek() === "(") return "function";
      return "variableName";
    }
    if (stream.eat(".")) {
      state.afterDot = true;
      return "punctuation";
    }
    if (stream.match(/^(&&|\|\||==|!=|<=|>=|[<>!+\-*/%?:])/)) return "operator";
    stream.next();
    return "punctuation";
  },
  languageData: { closeBrackets: { brackets: ["(", "[", "{", "'", '"'] } },
});

export interface RuleVocabulary {
  attributes: readonly AttributeDef[];
  eventNames: readonly string[];
  /** The project's cohorts, for profile.in_cohort('key'). */
  cohorts?: readonly { key: string; name: string }[];
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function attributeOptions(attributes: readonly AttributeDef[], entity: AttributeDef["entity"]): Completion[] {
  return attributes
    .filter((attribute) => attribute.entity === entity)
    .map((attribute) => ({
      label: attribute.name,
      type: "property",
      detail: attribute.type,
      // Names like `page.url` need an index: replace the dot before them.
      apply: IDENTIFIER.test(attribute.name)
        ? attribute.name
        : (view: EditorView, _completion: Completion, from: number, to: number) => {
            view.dispatch({ changes: { from: from - 1, to, insert: `['${attribute.name}']` } });
          },
    }));
}

const windowOptions: Completion[] = WINDOW_FUNCTION_NAMES.map((fn) => {
  const spec = WINDOW_FUNCTIONS[fn];
  const args = spec.params.map((param) => `'\${${param === "dur" ? "5m" : param === "prop" ? "amount" : "purchase"}}'`).join(", ");
  return snippetCompletion(`${fn}(${args})`, { label: fn, type: "function", detail: `(${spec.params.join(", ")}) → ${spec.returns}`, info: spec.doc });
});

const profileFunctionOptions: Completion[] = [
  snippetCompletion("in_cohort('${cohort}')", {
    label: "in_cohort",
    type: "function",
    detail: `(${PROFILE_FUNCTIONS.in_cohort.params.join(", ")}) → ${PROFILE_FUNCTIONS.in_cohort.returns}`,
    info: PROFILE_FUNCTIONS.in_cohort.doc,
  }),
];

const TOP_LEVEL: Completion[] = [
  { label: "event", type: "variable", info: "The event being evaluated." },
  { label: "profile", type: "variable", info: "The event's profile, as of this event." },
  { label: "window", type: "variable", info: "Per-profile sliding windows on event time: window.count('purchase', '5m')." },
  snippetCompletion("has(${event.props.x})", { label: "has", type: "function", detail: "(field) → bool", info: "True when the prop is present." }),
  { label: "true", type: "constant" },
  { label: "false", type: "constant" },
  { label: "null", type: "constant" },
];

const DURATIONS: Completion[] = ["30s", "1m", "5m", "15m", "1h", "24h", "7d"].map((label) => ({ label, type: "constant" }));

/** Completion for rules; `vocabulary()` is read on every request so it follows the latest tracking plan. */
export function ruleCompletions(vocabulary: () => RuleVocabulary) {
  return (context: CompletionContext): CompletionResult | null => {
    const before = context.state.doc.sliceString(Math.max(0, context.pos - 200), context.pos);
    const { attributes, eventNames, cohorts = [] } = vocabulary();
    const names = (): Completion[] => eventNames.map((label) => ({ label, type: "text", detail: "event" }));

    // Inside a string literal: event names after `event.name ==`, window arguments.
    const windowArg = /window\.(\w+)\(([^()]*)$/.exec(before);
    const openString = /(['"])([\w.$-]*)$/.exec(before);
    if (openString) {
      const from = context.pos - openString[2]!.length;
      if (windowArg) {
        const index = windowArg[2]!.split(",").length - 1;
        const spec = WINDOW_FUNCTIONS[windowArg[1] as keyof typeof WINDOW_FUNCTIONS] as (typeof WINDOW_FUNCTIONS)[keyof typeof WINDOW_FUNCTIONS] | undefined;
        const param = spec?.params[index];
        if (param === "name") return { from, options: names(), validFor: /^[\w.$-]*$/ };
        if (param === "prop") return { from, options: attributeOptions(attributes, "event").map((o) => ({ ...o, apply: o.label })), validFor: /^[\w.$-]*$/ };
        if (param === "dur") return { from, options: DURATIONS, validFor: /^\w*$/ };
        return null;
      }
      if (/event\.name\s*(==|!=)\s*['"][\w.$-]*$/.test(before)) return { from, options: names(), validFor: /^[\w.$-]*$/ };
      if (/profile\.in_cohort\(\s*['"]\w*$/.test(before)) {
        return { from, options: cohorts.map((cohort) => ({ label: cohort.key, type: "constant", detail: cohort.name })), validFor: /^\w*$/ };
      }
      return null;
    }

    const member = /\b(event\.props|profile\.props|event\.ctx|event|profile|window)\.(\w*)$/.exec(before);
    if (member) {
      const from = context.pos - member[2]!.length;
      const options: Completion[] =
        member[1] === "event.props"
          ? attributeOptions(attributes, "event")
          : member[1] === "profile.props"
            ? attributeOptions(attributes, "profile")
            : member[1] === "event.ctx"
              ? CONTEXT_KEYS.map((label) => ({ label, type: "property", detail: "string" }))
              : member[1] === "window"
                ? windowOptions
                : [
                    ...(member[1] === "event" ? EVENT_FIELDS : PROFILE_FIELDS).map((field) => ({
                      label: field.name,
                      type: "property",
                      detail: field.type,
                      info: field.doc,
                    })),
                    ...(member[1] === "profile" ? profileFunctionOptions : []),
                  ];
      return { from, options, validFor: /^\w*$/ };
    }

    const word = context.matchBefore(/[A-Za-z_]\w*/);
    if (word && !/\.\s*$/.test(before.slice(0, before.length - (context.pos - word.from)))) return { from: word.from, options: TOP_LEVEL, validFor: /^\w*$/ };
    if (context.explicit) return { from: context.pos, options: TOP_LEVEL };
    return null;
  };
}

// A small undo history: enough for a rule, without pulling in @codemirror/commands.
interface History {
  done: string[];
  undone: string[];
  lastAt: number;
}
const HISTORY_LIMIT = 200;
const setHistory = StateEffect.define<History>();

const historyField = StateField.define<History>({
  create: () => ({ done: [], undone: [], lastAt: 0 }),
  update(history, transaction: Transaction) {
    for (const effect of transaction.effects) if (effect.is(setHistory)) return effect.value;
    if (!transaction.docChanged) return history;
    const previous = transaction.startState.doc.toString();
    const now = Date.now();
    // Typing within a second joins one undo step.
    const done = now - history.lastAt < 1000 && history.done.length > 0 ? history.done : [...history.done, previous].slice(-HISTORY_LIMIT);
    return { done, undone: [], lastAt: now };
  },
});

function step(view: EditorView, direction: "undo" | "redo"): boolean {
  const history = view.state.field(historyField);
  const source = direction === "undo" ? history.done : history.undone;
  const target = source[source.length - 1];
  if (target === undefined) return false;
  const current = view.state.doc.toString();
  const next: History =
    direction === "undo"
      ? { done: history.done.slice(0, -1), undone: [...history.undone, current], lastAt: 0 }
      : { done: [...history.done, current], undone: history.undone.slice(0, -1), lastAt: 0 };
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: target }, effects: setHistory.of(next), selection: { anchor: target.length } });
  return true;
}

export function ruleHistory(): Extension {
  return [
    historyField,
    keymap.of([
      { key: "Mod-z", run: (view) => step(view, "undo"), preventDefault: true },
      { key: "Mod-Shift-z", run: (view) => step(view, "redo"), preventDefault: true },
      { key: "Mod-y", run: (view) => step(view, "redo"), preventDefault: true },
    ]),
  ];
}
