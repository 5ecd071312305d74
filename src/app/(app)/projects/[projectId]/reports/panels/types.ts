import type { ComponentType } from "react";
import type { BuilderDraft } from "~/components/reports/builder-model";

export type Patch = <K extends keyof BuilderDraft>(key: K, value: BuilderDraft[K]) => void;

/** Names the tracking plan suggests for the inputs; any other name may still be typed. */
export interface Suggestions {
  eventNames: string[];
  fields: string[];
}

export interface PanelProps {
  draft: BuilderDraft;
  patch: Patch;
  plan: Suggestions;
}

/**
 * One report kind's part of the builder. The date range and the report's filters are shared and
 * drawn by the builder; everything that only one kind has belongs to its panel.
 */
export interface ReportPanel {
  /** What the kind shows, under the builder's title. */
  hint: string;
  /** Per-kind options on the date range's line (interval, comparison, …); kinds without any leave it out. */
  Options?: ComponentType<PanelProps>;
  /** The kind's own settings (series, steps, measure, …), above the report's filters. */
  Fields: ComponentType<PanelProps>;
}
