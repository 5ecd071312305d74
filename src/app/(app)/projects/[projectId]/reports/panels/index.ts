import type { ReportKind } from "~/core/reports";
import { funnelPanel } from "./funnel-panel";
import { pathsPanel } from "./paths-panel";
import { queryPanel } from "./query-panel";
import { retentionPanel } from "./retention-panel";
import { segmentPanel } from "./segment-panel";
import { trendPanel } from "./trend-panel";
import type { ReportPanel } from "./types";

export type { Patch, PanelProps, ReportPanel, Suggestions } from "./types";
export { Section } from "./parts";

/** The builder's panel for each report kind; a new kind fails to compile until it has one. */
export const REPORT_PANELS: Record<ReportKind, ReportPanel> = {
  trend: trendPanel,
  funnel: funnelPanel,
  segment: segmentPanel,
  retention: retentionPanel,
  paths: pathsPanel,
  query: queryPanel,
};
