/** One chart per report kind; ./style holds what they share (colours, axes, tooltips). */
export { FunnelChart } from "./funnel-chart";
export { PathsChart } from "./paths";
export { QueryTable } from "./query-table";
export { RetentionTable } from "./retention-table";
export { SegmentChart } from "./segment-chart";
export { TrendChart } from "./trend-chart";
