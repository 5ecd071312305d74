export * from "./evaluate";
export * from "./rule-test";
