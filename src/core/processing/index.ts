export * from "./evaluate";
export * from "./rule-test";
export * from "./backtest";
