/**
 * Rule evaluation speed: the design's first rule through compileRule + evaluate, against a plain-JS
 * closure doing the same comparisons. `npx tsx tools/bench/rules.ts` prints both and the ratio, and
 * the same for a cohort rule (profile.in_cohort over 100k members, as the worker holds them);
 * `npm run bench:worker` calls benchRuleEvaluation().
 */
import { pathToFileURL } from "node:url";
import { fixedMembership } from "../../src/core/processing";
import { compileRule, EMPTY_WINDOW_READER, type AttributeDef, type CohortReader, type RuleInput, type WindowReader } from "../../src/core/rules";
import { ProfileWindows } from "../../workers/processor/windows";

const RULE = "event.name == 'purchase' && event.props.amount > 10000 && window.count('purchase', '5m') >= 1";
const ATTRIBUTES: AttributeDef[] = [{ entity: "event", name: "amount", type: "number" }];
const FIVE_MINUTES = 5 * 60_000;
const RUNS = 5;
const EVALUATIONS_PER_RUN = 1_000_000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Evaluations per second of `evaluate`, median of RUNS runs after a warm-up. */
function measure(evaluate: (i: number) => boolean): number {
  let fired = 0;
  for (let i = 0; i < EVALUATIONS_PER_RUN / 4; i++) if (evaluate(i)) fired++;
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < EVALUATIONS_PER_RUN; i++) if (evaluate(i)) fired++;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    rates.push(EVALUATIONS_PER_RUN / seconds);
  }
  // Keeps the loop's result alive, so the JIT cannot drop the work.
  if (fired < 0) console.log(fired);
  return median(rates);
}

export async function benchRuleEvaluation(): Promise<{ celPerSecond: number; closurePerSecond: number }> {
  const rule = compileRule(RULE, ATTRIBUTES);
  // A realistic window: a profile with a few hundred recent purchases and views.
  const windows = new ProfileWindows();
  for (let i = 0; i < 400; i++) windows.add({ id: `e${String(i).padStart(4, "0")}`, n: i % 2 ? "purchase" : "page_view", t: 1_000_000 + i * 1000 });
  const at = { t: 1_000_000 + 399 * 1000, id: "e0399" };
  const reader: WindowReader = windows.reader(at);
  // Alternate amounts so neither path can settle on one answer.
  const inputs: RuleInput[] = [12000.5, 500, 20000, 9999].map((amount) => ({
    event: { id: at.id, name: "purchase", time: at.t, profile_id: "p1", props: { amount, currency: "EUR" }, ctx: {} },
    profile: { id: "p1", props: { vip_level: 3 } },
  }));

  const closure = (input: RuleInput, windowReader: WindowReader): boolean => {
    const amount = input.event.props.amount;
    return input.event.name === "purchase" && typeof amount === "number" && amount > 10000 && windowReader.count("purchase", FIVE_MINUTES) >= 1;
  };
  for (const input of inputs) {
    if (rule.evaluate(input, reader) !== closure(input, reader)) throw new Error(`the rule and the closure disagree on ${JSON.stringify(input.event.props)}`);
  }

  await Promise.resolve();
  const celPerSecond = measure((i) => rule.evaluate(inputs[i & 3]!, reader));
  const closurePerSecond = measure((i) => closure(inputs[i & 3]!, reader));
  return { celPerSecond, closurePerSecond };
}

const COHORT_RULE = "event.name == 'purchase' && profile.in_cohort('vip')";
const COHORT_MEMBERS = 100_000;

/** The cohort rule against a closure reading the same member set: what in_cohort adds over a Set lookup. */
export async function benchCohortRuleEvaluation(): Promise<{ celPerSecond: number; closurePerSecond: number }> {
  const rule = compileRule(COHORT_RULE, [], ["vip"]);
  const members = fixedMembership(new Map([["vip", Array.from({ length: COHORT_MEMBERS }, (_, i) => `u${i * 2}`)]]));
  // Half the profiles are members (even ids), as the worker's reader sees them: by the id sent.
  const cases = [0, 1, 2, 3].map((n) => {
    const profileId = `u${n * 7919}`;
    const input: RuleInput = {
      event: { id: "e1", name: "purchase", time: 0, profile_id: profileId, props: {}, ctx: {} },
      profile: { id: profileId, props: {} },
    };
    const reader: CohortReader = { inCohort: (key) => members.members(key)?.has(profileId) ?? null };
    return { input, reader, profileId };
  });
  const vip = members.members("vip")!;
  const closure = (input: RuleInput, profileId: string) => input.event.name === "purchase" && vip.has(profileId);
  for (const { input, reader, profileId } of cases) {
    if (rule.evaluate(input, EMPTY_WINDOW_READER, reader) !== closure(input, profileId))
      throw new Error(`the cohort rule and the closure disagree on ${profileId}`);
  }
  await Promise.resolve();
  const celPerSecond = measure((i) => rule.evaluate(cases[i & 3]!.input, EMPTY_WINDOW_READER, cases[i & 3]!.reader));
  const closurePerSecond = measure((i) => closure(cases[i & 3]!.input, cases[i & 3]!.profileId));
  return { celPerSecond, closurePerSecond };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const format = (n: number) => `${(n / 1e6).toFixed(2)}M/s`;
  const print = (source: string, { celPerSecond, closurePerSecond }: { celPerSecond: number; closurePerSecond: number }) => {
    console.log(`rule:    ${source}`);
    console.log(`CEL:     ${format(celPerSecond)} (compileRule + evaluate, median of ${RUNS} runs of ${EVALUATIONS_PER_RUN})`);
    console.log(`closure: ${format(closurePerSecond)} (plain JS, same comparisons)`);
    console.log(`ratio:   closure is ${(closurePerSecond / celPerSecond).toFixed(1)}x faster`);
  };
  print(RULE, await benchRuleEvaluation());
  print(`${COHORT_RULE} (${COHORT_MEMBERS.toLocaleString("en-US")} members)`, await benchCohortRuleEvaluation());
}
