/**
 * Trigger rules: CEL expressions over `event`, `profile` and `window`, checked at save time against
 * the project's attribute definitions and cohort keys, and compiled once for the worker's hot path.
 *
 * Semantics worth knowing (also shown in the editor):
 * - Numbers from JSON are doubles; int literals compare and mix with them (`amount > 10000`,
 *   `login_count == 0`, `amount * 2`). Window counts are ints; sum/avg/min/max are doubles.
 * - A rule whose outcome depends on a missing value (a prop the event or profile does not carry,
 *   an absent ctx key, avg/min/max over no values) does not fire, and that is not an error; CEL's
 *   `||` / `&&` still decide when the other side settles it. `has(event.props.x)` tests presence.
 * - Every other runtime failure (a prop of the wrong type, a non-bool result, division by zero) is
 *   a RuleRuntimeError, which the worker records in the trigger log.
 * - Attribute checking: once a project declares at least one attribute of an entity, reading an
 *   undeclared one (`event.props.X`) is an error and the declared types are enforced; with none
 *   declared, that entity's props are unchecked (a warning says so), so a fresh project can
 *   write rules before its tracking plan.
 * - `profile.in_cohort('key')` names one of the project's cohorts by a literal key. Membership is
 *   read from a CohortReader the worker keeps in memory (refreshed on a schedule, never queried per
 *   event); a cohort whose members are not loaded yet counts as a missing value (the rule does not
 *   fire), and an event without a profile is in no cohort.
 */
import { Environment, EvaluationError, ParseError, TypeError as CelTypeError, type ASTNode } from "@marcbachmann/cel-js";
import { RESERVED_KEYS } from "../storable";
import {
  EVENT_FIELDS,
  MAX_RULE_LENGTH,
  PROFILE_FIELDS,
  PROFILE_FUNCTIONS,
  WINDOW_FUNCTION_NAMES,
  WINDOW_FUNCTIONS,
  celTypeOfAttribute,
  parseWindowDuration,
  type AttributeDef,
  type WindowFunctionName,
} from "./vocabulary";

export interface WindowNeed {
  fn: WindowFunctionName;
  /** The event name the window counts. */
  name: string;
  /** The prop it aggregates; null for count. */
  prop: string | null;
  durationMs: number;
}

/** A problem in a rule, with offsets into its source for inline editor marks. */
export interface RuleProblem {
  message: string;
  from?: number;
  to?: number;
}

export type RuleCheck = { ok: true; warnings: RuleProblem[]; windowNeeds: WindowNeed[]; cohortKeys: string[] } | { ok: false; errors: RuleProblem[] };

/** The window state as seen by one event; implemented by the worker's ProfileWindows. */
export interface WindowReader {
  count(name: string, durationMs: number): number;
  sum(name: string, prop: string, durationMs: number): number;
  avg(name: string, prop: string, durationMs: number): number | null;
  min(name: string, prop: string, durationMs: number): number | null;
  max(name: string, prop: string, durationMs: number): number | null;
  distinct(name: string, prop: string, durationMs: number): number;
}

export const EMPTY_WINDOW_READER: WindowReader = Object.freeze({
  count: () => 0,
  sum: () => 0,
  avg: () => null,
  min: () => null,
  max: () => null,
  distinct: () => 0,
});

/** The event's profile's cohort membership, as the worker last loaded it. */
export interface CohortReader {
  /** True or false, or null when the cohort's members are not known (not loaded yet): the rule then does not fire, as with a missing prop. */
  inCohort(key: string): boolean | null;
}

/** No membership known: every `profile.in_cohort(…)` counts as a missing value. */
export const NO_COHORTS: CohortReader = Object.freeze({ inCohort: () => null });

export interface RuleInput {
  event: {
    id: string;
    name: string;
    /** Epoch milliseconds. */
    time: number;
    profile_id: string | null;
    props: Readonly<Record<string, unknown>>;
    ctx: Readonly<Record<string, unknown>>;
  };
  profile: { id: string | null; props: Readonly<Record<string, unknown>> };
}

export interface CompiledRule {
  source: string;
  windowNeeds: WindowNeed[];
  /** The cohort keys the rule reads through profile.in_cohort, once each: the worker keeps their members. */
  cohortKeys: readonly string[];
  /**
   * The event names the rule can fire on, or null for any. For any other name the rule is false
   * without an error, so the worker skips evaluating it.
   */
  eventNames: ReadonlySet<string> | null;
  /** True when the rule fires. Throws only RuleRuntimeError. */
  evaluate(input: RuleInput, windows: WindowReader, cohorts?: CohortReader): boolean;
}

export class RuleCompileError extends Error {
  override readonly name = "RuleCompileError";
  constructor(readonly problems: RuleProblem[]) {
    super(problems.map((problem) => problem.message).join("; ") || "rule does not compile");
  }
}

export class RuleRuntimeError extends Error {
  override readonly name = "RuleRuntimeError";
}

// ---------------------------------------------------------------------------------------------
// Environments

/** The value of the `window` variable: one per compiled rule, pointed at each event's reader. */
class WindowHandle {
  reader: WindowReader = EMPTY_WINDOW_READER;
}

/** Thrown by avg/min/max over no values and by an unknown membership: treated like a missing prop. */
class MissingValue extends Error {}

/**
 * The membership the running evaluation reads. `profile` is a plain map on the hot path, so
 * in_cohort cannot carry it; evaluation is synchronous, so one slot is enough.
 */
let activeCohorts: CohortReader = NO_COHORTS;

function inCohort(_profile: unknown, key: string): boolean {
  const member = activeCohorts.inCohort(key);
  if (member === null) throw new MissingValue();
  return member;
}

function registerInCohort(env: Environment, receiverType: string): Environment {
  return env.registerFunction({
    name: "in_cohort",
    receiverType,
    returnType: "bool",
    params: [{ name: "key", type: "string" }],
    description: PROFILE_FUNCTIONS.in_cohort.doc,
    handler: inCohort,
  });
}

const durationCache = new Map<string, number>();
function durationMs(text: string): number {
  let ms = durationCache.get(text);
  if (ms === undefined) {
    const parsed = parseWindowDuration(text);
    if (!parsed.ok) throw new RuleRuntimeError(parsed.message);
    ms = parsed.ms;
    if (durationCache.size < 1000) durationCache.set(text, ms);
  }
  return ms;
}

function present(value: number | null): number {
  if (value === null) throw new MissingValue();
  return value;
}

const LIMITS = { maxAstNodes: 2000, maxDepth: 48, maxListElements: 200, maxMapEntries: 200, maxCallArguments: 8 };

function baseEnvironment(): Environment {
  const env = new Environment({ limits: LIMITS }).registerType("Window", WindowHandle);
  const str = (name: string) => ({ name, type: "string" });
  env.registerFunction({
    name: "count",
    receiverType: "Window",
    returnType: "int",
    params: [str("name"), str("dur")],
    description: WINDOW_FUNCTIONS.count.doc,
    handler: (w: WindowHandle, name: string, dur: string) => BigInt(w.reader.count(name, durationMs(dur))),
  });
  env.registerFunction({
    name: "distinct",
    receiverType: "Window",
    returnType: "int",
    params: [str("name"), str("prop"), str("dur")],
    description: WINDOW_FUNCTIONS.distinct.doc,
    handler: (w: WindowHandle, name: string, prop: string, dur: string) => BigInt(w.reader.distinct(name, prop, durationMs(dur))),
  });
  const aggregates = {
    sum: (r: WindowReader, n: string, p: string, ms: number) => r.sum(n, p, ms),
    avg: (r: WindowReader, n: string, p: string, ms: number) => present(r.avg(n, p, ms)),
    min: (r: WindowReader, n: string, p: string, ms: number) => present(r.min(n, p, ms)),
    max: (r: WindowReader, n: string, p: string, ms: number) => present(r.max(n, p, ms)),
  };
  for (const [fn, read] of Object.entries(aggregates)) {
    env.registerFunction({
      name: fn,
      receiverType: "Window",
      returnType: "double",
      params: [str("name"), str("prop"), str("dur")],
      description: WINDOW_FUNCTIONS[fn as WindowFunctionName].doc,
      handler: (w: WindowHandle, name: string, prop: string, dur: string) => read(w.reader, name, prop, durationMs(dur)),
    });
  }
  // JSON numbers are doubles and literals like 0 are ints: let them meet (ordering already does).
  env.registerOperator("double == int", (a: number, b: bigint) => a === Number(b));
  for (const op of ["+", "-", "*", "/"] as const) {
    const apply = ARITHMETIC[op];
    env.registerOperator(`double ${op} int`, (a: number, b: bigint) => apply(a, Number(b)));
    if (op === "-" || op === "/") env.registerOperator(`int ${op} double`, (a: bigint, b: number) => apply(Number(a), b));
  }
  return env;
}

const ARITHMETIC = {
  "+": (a: number, b: number) => a + b,
  "-": (a: number, b: number) => a - b,
  "*": (a: number, b: number) => a * b,
  "/": (a: number, b: number) => a / b,
};

let base: Environment | undefined;
let evaluation: Environment | undefined;

/** The hot-path environment: plain maps, so the worker's objects are read without conversion. */
function evaluationEnvironment(): Environment {
  base ??= baseEnvironment();
  evaluation ??= registerInCohort(
    base.clone().registerVariable("event", "map<string, dyn>").registerVariable("profile", "map<string, dyn>").registerVariable("window", "Window"),
    "map<string, dyn>",
  );
  return evaluation;
}

/** A checking environment typed by the project's attributes; cheap (well under a millisecond). */
function checkingEnvironment(attributes: readonly AttributeDef[]): Environment {
  evaluationEnvironment();
  const env = base!.clone();
  const propsType = (entity: AttributeDef["entity"], typeName: string): string => {
    const declared = attributes.filter((attribute) => attribute.entity === entity && !RESERVED_KEYS.has(attribute.name));
    if (declared.length === 0) return "map<string, dyn>";
    const fields: Record<string, string> = {};
    for (const attribute of declared) fields[attribute.name] = celTypeOfAttribute(attribute.type);
    env.registerType(typeName, { fields });
    // `'x' in event.props` stays legal on the typed props (runtime sees a plain map).
    env.registerOperator(`string in ${typeName}`, (key: string, props: Record<string, unknown>) => Object.hasOwn(props, key));
    return typeName;
  };
  const fieldTypes = (fields: readonly { name: string; type: string }[], props: string) =>
    Object.fromEntries(fields.map((field) => [field.name, field.name === "props" ? props : field.type]));
  env.registerType("RuleEvent", { fields: fieldTypes(EVENT_FIELDS, propsType("event", "EventProps")) });
  env.registerType("RuleProfile", { fields: fieldTypes(PROFILE_FIELDS, propsType("profile", "ProfileProps")) });
  registerInCohort(env, "RuleProfile");
  env.registerVariable("event", "RuleEvent").registerVariable("profile", "RuleProfile").registerVariable("window", "Window");
  return env;
}

// ---------------------------------------------------------------------------------------------
// Checking

interface Analysis {
  errors: RuleProblem[];
  warnings: RuleProblem[];
  windowNeeds: WindowNeed[];
  cohortKeys: string[];
}

const at = (node: ASTNode): { from: number; to: number } => ({ from: node.start, to: node.end });

function isNode(value: unknown): value is ASTNode {
  return typeof value === "object" && value !== null && "op" in value && "start" in value;
}

/** `event.props` or `profile.props` → the entity; anything else → null. */
function propsOf(node: ASTNode): AttributeDef["entity"] | null {
  if (node.op !== ".") return null;
  const [inner, key] = node.args;
  if (key !== "props" || inner.op !== "id") return null;
  return inner.args === "event" || inner.args === "profile" ? inner.args : null;
}

function stringLiteral(node: ASTNode): string | null {
  return node.op === "value" && typeof node.args === "string" ? node.args : null;
}

function closest(name: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3 || a.length > 64 || b.length > 64) return 99;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

const quote = (text: string) => `'${text.length > 60 ? `${text.slice(0, 60)}…` : text}'`;

/** Walks the AST for what CEL's checker cannot say: attribute names, window arguments, cohort keys, reserved keys. */
function analyse(root: ASTNode, attributes: readonly AttributeDef[], cohorts: readonly string[]): Analysis {
  const result: Analysis = { errors: [], warnings: [], windowNeeds: [], cohortKeys: [] };
  const declared = {
    event: attributes.filter((attribute) => attribute.entity === "event").map((attribute) => attribute.name),
    profile: attributes.filter((attribute) => attribute.entity === "profile").map((attribute) => attribute.name),
  };
  const uncheckedWarned = new Set<string>();
  const needKeys = new Set<string>();

  const checkAttribute = (entity: AttributeDef["entity"], key: string, node: ASTNode) => {
    if (RESERVED_KEYS.has(key)) {
      result.errors.push({ message: `${quote(key)} is a reserved name, not an attribute`, ...at(node) });
      return;
    }
    const names = declared[entity];
    if (names.length === 0) {
      if (!uncheckedWarned.has(entity)) {
        uncheckedWarned.add(entity);
        result.warnings.push({ message: `this project defines no ${entity} attributes, so ${entity}.props.${key} is not checked`, ...at(node) });
      }
      return;
    }
    if (!names.includes(key)) {
      const suggestion = closest(key, names);
      result.errors.push({ message: `unknown ${entity} attribute ${quote(key)}${suggestion ? `; did you mean '${suggestion}'?` : ""}`, ...at(node) });
    }
  };

  const checkField = (entity: AttributeDef["entity"], key: string, node: ASTNode) => {
    const fields = (entity === "event" ? EVENT_FIELDS : PROFILE_FIELDS).map((field) => field.name);
    if (!fields.includes(key)) {
      result.errors.push({ message: `unknown ${entity} field ${quote(key)}: use ${fields.join(", ")} (attributes are under ${entity}.props)`, ...at(node) });
    }
  };

  const checkWindowCall = (node: ASTNode, fn: string, args: ASTNode[]) => {
    if (!(WINDOW_FUNCTION_NAMES as readonly string[]).includes(fn)) {
      result.errors.push({ message: `unknown window function ${quote(fn)}: use ${WINDOW_FUNCTION_NAMES.join(", ")}`, ...at(node) });
      return;
    }
    const spec = WINDOW_FUNCTIONS[fn as WindowFunctionName];
    if (args.length !== spec.params.length) {
      result.errors.push({
        message: `window.${fn} takes (${spec.params.join(", ")}), got ${args.length} argument${args.length === 1 ? "" : "s"}`,
        ...at(node),
      });
      return;
    }
    const values: Partial<Record<"name" | "prop" | "dur", string>> = {};
    let valid = true;
    spec.params.forEach((param, index) => {
      const arg = args[index]!;
      const value = stringLiteral(arg);
      if (value === null) {
        valid = false;
        result.errors.push({
          message: `window.${fn}: '${param}' must be a string literal like ${param === "dur" ? "'5m'" : param === "prop" ? "'amount'" : "'purchase'"}, so the worker knows which events to keep`,
          ...at(arg),
        });
        return;
      }
      if (param === "dur") {
        const parsed = parseWindowDuration(value);
        if (!parsed.ok) {
          valid = false;
          result.errors.push({ message: parsed.message, ...at(arg) });
        }
      } else if (value === "" || RESERVED_KEYS.has(value)) {
        valid = false;
        result.errors.push({ message: `window.${fn}: ${value === "" ? `'${param}' must not be empty` : `${quote(value)} is a reserved name`}`, ...at(arg) });
      }
      values[param] = value;
    });
    if (!valid) return;
    const need: WindowNeed = { fn: fn as WindowFunctionName, name: values.name!, prop: values.prop ?? null, durationMs: durationMs(values.dur!) };
    const key = JSON.stringify(need);
    if (!needKeys.has(key)) {
      needKeys.add(key);
      result.windowNeeds.push(need);
    }
  };

  const checkProfileCall = (node: ASTNode, fn: string, args: ASTNode[]) => {
    if (!Object.hasOwn(PROFILE_FUNCTIONS, fn)) {
      result.errors.push({ message: `unknown profile function ${quote(fn)}: use profile.in_cohort('cohort_key')`, ...at(node) });
      return;
    }
    if (args.length !== 1) {
      result.errors.push({
        message: `profile.in_cohort takes one cohort key, like profile.in_cohort('vip'); got ${args.length} arguments`,
        ...at(node),
      });
      return;
    }
    const arg = args[0]!;
    const key = stringLiteral(arg);
    if (key === null) {
      result.errors.push({
        message: "profile.in_cohort: the cohort key must be a string literal like 'vip', so the worker knows which cohorts to keep in memory",
        ...at(arg),
      });
      return;
    }
    if (!cohorts.includes(key)) {
      const suggestion = closest(key, cohorts);
      const hint =
        cohorts.length === 0
          ? ": this project has no cohorts yet; create one on the Cohorts page"
          : suggestion
            ? `; did you mean '${suggestion}'?`
            : cohorts.length <= 5
              ? `: this project's cohorts are ${cohorts.map((name) => `'${name}'`).join(", ")}`
              : " in this project (see the Cohorts page)";
      result.errors.push({ message: `unknown cohort ${quote(key)}${hint}`, ...at(arg) });
      return;
    }
    if (!result.cohortKeys.includes(key)) result.cohortKeys.push(key);
  };

  const visit = (node: ASTNode): void => {
    switch (node.op) {
      case "rcall": {
        const [fn, receiver, args] = node.args;
        if (receiver.op === "id" && receiver.args === "window") checkWindowCall(node, fn, args);
        else if (receiver.op === "id" && receiver.args === "profile") checkProfileCall(node, fn, args);
        else visit(receiver);
        args.forEach(visit);
        return;
      }
      case "id":
        if (node.args === "window")
          result.errors.push({ message: "window is only used through its functions, like window.count('purchase', '5m')", ...at(node) });
        return;
      case ".":
      case ".?": {
        const [inner, key] = node.args;
        const entity = propsOf(inner);
        if (entity) checkAttribute(entity, key, node);
        else if (inner.op === "id" && (inner.args === "event" || inner.args === "profile")) checkField(inner.args, key, node);
        visit(inner);
        return;
      }
      case "[]":
      case "[?]": {
        const [inner, keyNode] = node.args;
        const entity = propsOf(inner);
        if (entity) {
          const key = stringLiteral(keyNode);
          if (key !== null) checkAttribute(entity, key, node);
          else result.warnings.push({ message: `${entity}.props[…] with a computed key cannot be checked against the ${entity} attributes`, ...at(node) });
        }
        visit(inner);
        visit(keyNode);
        return;
      }
      default:
        visitChildren(node.args as unknown, visit);
    }
  };
  visit(root);
  return result;
}

function visitChildren(value: unknown, visit: (node: ASTNode) => void): void {
  if (isNode(value)) visit(value);
  else if (Array.isArray(value)) for (const item of value) visitChildren(item, visit);
}

/** "no such overload: string > int" → "operator '>' cannot be applied to string and int". */
function friendlyMessage(summary: string): string {
  summary = summary.replace(/dyn<([^<>]+)>/g, "$1");
  const overload = /^no such overload: (\S+) (\S+) (\S+)$/.exec(summary);
  if (overload) return `operator '${overload[2]}' cannot be applied to ${overload[1]} and ${overload[3]}`;
  return summary;
}

function problemOf(error: unknown, source: string): RuleProblem {
  if (error instanceof ParseError || error instanceof CelTypeError || error instanceof EvaluationError) {
    const range = error.range;
    const message = friendlyMessage(error.summary || error.message);
    return range ? { message, from: Math.min(range.start, source.length), to: Math.min(Math.max(range.end, range.start), source.length) } : { message };
  }
  if (error instanceof RuleRuntimeError) return { message: error.message };
  return { message: `could not check the rule: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}` };
}

/**
 * Checks a rule against the project's attributes and cohort keys: syntax, names, window
 * arguments, cohorts, types, bool result.
 */
export function checkRule(source: string, attributes: readonly AttributeDef[], cohorts: readonly string[] = []): RuleCheck {
  return inspectRule(source, attributes, cohorts).check;
}

function inspectRule(source: string, attributes: readonly AttributeDef[], cohorts: readonly string[]): { check: RuleCheck; ast: ASTNode | null } {
  const refuse = (errors: RuleProblem[]) => ({ check: { ok: false as const, errors }, ast: null });
  if (typeof source !== "string") return refuse([{ message: "the rule must be text" }]);
  if (source.length > MAX_RULE_LENGTH) return refuse([{ message: `the rule is ${source.length} characters long; the limit is ${MAX_RULE_LENGTH}` }]);
  if (source.trim() === "") return refuse([{ message: "the rule is empty" }]);
  try {
    const env = checkingEnvironment(attributes);
    const parsed = env.parse(source);
    const analysis = analyse(parsed.ast, attributes, cohorts);
    if (analysis.errors.length > 0) return refuse(analysis.errors);
    const typed = parsed.check();
    if (!typed.valid) return refuse([problemOf(typed.error, source)]);
    const warnings = analysis.warnings;
    if (typed.type === "dyn")
      warnings.push({
        message: "the checker cannot tell whether this rule gives a bool; if it does not at runtime, that is an error",
        from: 0,
        to: source.length,
      });
    else if (typed.type !== "bool")
      return refuse([{ message: `a rule must evaluate to a bool (true or false), but this one gives ${typed.type}`, from: 0, to: source.length }]);
    return { check: { ok: true, warnings, windowNeeds: analysis.windowNeeds, cohortKeys: analysis.cohortKeys }, ast: parsed.ast };
  } catch (error) {
    return refuse([problemOf(error, source)]);
  }
}

/** `event.name` */
function isEventName(node: ASTNode): boolean {
  if (node.op !== ".") return false;
  const [inner, key] = node.args;
  return key === "name" && inner.op === "id" && inner.args === "event";
}

/**
 * The event names for which `node` can be true, or null for any: `event.name == 'x'` and
 * `event.name in ['x', 'y']` name them, `&&` narrows and `||` widens. Outside the set the node is
 * false, never an error (CEL's `false && error` is false), which makes skipping it exact.
 */
export function eventNamesOf(node: ASTNode): ReadonlySet<string> | null {
  switch (node.op) {
    case "==": {
      const [left, right] = node.args as [ASTNode, ASTNode];
      const literal = isEventName(left) ? stringLiteral(right) : isEventName(right) ? stringLiteral(left) : null;
      return literal === null ? null : new Set([literal]);
    }
    case "in": {
      const [left, right] = node.args as [ASTNode, ASTNode];
      if (!isEventName(left) || right.op !== "list") return null;
      const names = (right.args as ASTNode[]).map(stringLiteral);
      return names.every((name): name is string => name !== null) ? new Set(names) : null;
    }
    case "&&": {
      const [left, right] = (node.args as [ASTNode, ASTNode]).map(eventNamesOf);
      if (!left || !right) return left ?? right ?? null;
      return new Set([...left].filter((name) => right.has(name)));
    }
    case "||": {
      const [left, right] = (node.args as [ASTNode, ASTNode]).map(eventNamesOf);
      return left && right ? new Set([...left, ...right]) : null;
    }
    default:
      return null;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "bigint") return `the int ${value}`;
  if (typeof value === "number") return `the double ${value}`;
  if (typeof value === "string") return `a string`;
  if (Array.isArray(value)) return "a list";
  return `a ${typeof value}`;
}

/** Checks and compiles a rule for repeated evaluation. Throws RuleCompileError with the problems. */
export function compileRule(source: string, attributes: readonly AttributeDef[], cohorts: readonly string[] = []): CompiledRule {
  const { check, ast } = inspectRule(source, attributes, cohorts);
  if (!check.ok) throw new RuleCompileError(check.errors);
  let program: (context: Record<string, unknown>) => unknown;
  try {
    program = evaluationEnvironment().parse(source);
  } catch (error) {
    throw new RuleCompileError([problemOf(error, source)]);
  }
  const window = new WindowHandle();
  // Reused across evaluations: evaluation is synchronous, so nothing sees it half-filled.
  const context: { event: RuleInput["event"] | null; profile: RuleInput["profile"] | null; window: WindowHandle } = { event: null, profile: null, window };
  return {
    source,
    windowNeeds: check.windowNeeds,
    cohortKeys: check.cohortKeys,
    eventNames: ast ? eventNamesOf(ast) : null,
    evaluate(input, windows, cohorts = NO_COHORTS) {
      context.event = input.event;
      context.profile = input.profile;
      window.reader = windows;
      activeCohorts = cohorts;
      let result: unknown;
      // A missing prop surfaces as an error inside the library; without stack traces that path
      // costs little, and the message is all a rule's log needs.
      const stackTraceLimit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      try {
        result = program(context);
      } catch (error) {
        if (error instanceof MissingValue || (error instanceof EvaluationError && error.code === "no_such_key")) return false;
        if (error instanceof RuleRuntimeError) throw error;
        const problem = problemOf(error, source);
        const where =
          problem.from !== undefined && problem.to !== undefined && problem.to > problem.from ? ` in ${quote(source.slice(problem.from, problem.to))}` : "";
        throw new RuleRuntimeError(`${problem.message}${where}`, { cause: error });
      } finally {
        Error.stackTraceLimit = stackTraceLimit;
        context.event = null;
        context.profile = null;
        window.reader = EMPTY_WINDOW_READER;
        activeCohorts = NO_COHORTS;
      }
      if (result === true || result === false) return result;
      throw new RuleRuntimeError(`the rule gave ${describeValue(result)}, not a bool`);
    },
  };
}
