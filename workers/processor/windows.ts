/**
 * The processor's per-profile sliding windows. The maths is pure and lives with the rules (the
 * triggers `test` procedure replays samples through it too); the processor stores the entries as
 * JSON in `profile_state.windows` and reloads them after a restart or rebalance.
 */
export { ALLOWED_LATENESS_MS, ProfileWindows, type WindowEntry } from "../../src/core/rules/windows";
