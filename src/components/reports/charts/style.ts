import { formatNumber } from "../report-model";

/** Series colours: distinct hues, readable on white, the first is the theme's violet. */
export const SERIES_COLOURS = ["#7c3aed", "#0ea5e9", "#f59e0b", "#10b981", "#ef4444", "#ec4899", "#6366f1", "#84cc16", "#14b8a6", "#a855f7"];
export const colour = (index: number) => SERIES_COLOURS[index % SERIES_COLOURS.length]!;

export const AXIS = { fontSize: 12, fill: "#71717a" };
export const GRID_STROKE = "#e4e4e7";
export const TOOLTIP_STYLE = { borderRadius: 8, border: "1px solid #e4e4e7", fontSize: 12 };
export const tooltipNumber = (value: unknown) => (typeof value === "number" ? formatNumber(value) : String(value ?? "—"));
