export {
  checkRule,
  compileRule,
  EMPTY_WINDOW_READER,
  NO_COHORTS,
  RuleCompileError,
  RuleRuntimeError,
  type CohortReader,
  type CompiledRule,
  type RuleCheck,
  type RuleInput,
  type RuleProblem,
  type WindowNeed,
  type WindowReader,
} from "./rules";
export * from "./vocabulary";
export { ALLOWED_LATENESS_MS, ProfileWindows, type WindowEntry } from "./windows";
