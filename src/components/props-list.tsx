"use client";

import { useState } from "react";

/** A value as one short line: text as is, numbers and booleans as written, objects and arrays as compact JSON. */
export function formatPropValue(value: unknown, max = 60): string {
  const text = typeof value === "string" ? value : value === undefined ? "" : (JSON.stringify(value) ?? String(value));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The entries shown while collapsed and how many are left over; keys in their stored order. */
export function splitProps(props: Record<string, unknown>, shown: number): { visible: Array<[string, unknown]>; hidden: number } {
  const entries = Object.entries(props);
  // Showing "+1 more" costs the same line as the entry itself.
  const visible = entries.length <= shown + 1 ? entries : entries.slice(0, shown);
  return { visible, hidden: entries.length - visible.length };
}

/**
 * Properties as a compact `key: value` list, as PostHog and Mixpanel show them in tables: the first
 * few, then "+n more" to expand in place. Clicks on the toggle do not reach a clickable row.
 */
export function PropsList({ props, shown = 3, label }: { props: Record<string, unknown>; shown?: number; label?: string }) {
  const [expanded, setExpanded] = useState(false);
  const { visible, hidden } = splitProps(props, expanded ? Number.POSITIVE_INFINITY : shown);
  if (visible.length === 0) return <span className="text-muted-foreground">—</span>;
  return (
    <div className="min-w-0">
      <dl aria-label={label} className="space-y-0.5 text-xs">
        {visible.map(([key, value]) => (
          <div key={key} className="flex min-w-0 gap-1.5">
            <dt className="shrink-0 text-muted-foreground">{key}:</dt>
            <dd className={expanded ? "min-w-0 break-all font-mono" : "min-w-0 truncate font-mono"} title={formatPropValue(value, 2000)}>
              {formatPropValue(value, expanded ? 2000 : 60)}
            </dd>
          </div>
        ))}
      </dl>
      {hidden > 0 || expanded ? (
        <button
          type="button"
          className="mt-0.5 text-xs text-primary underline-offset-4 hover:underline"
          aria-expanded={expanded}
          onClick={(event) => {
            event.stopPropagation();
            setExpanded((value) => !value);
          }}
          onKeyDown={(event) => event.stopPropagation()}
        >
          {expanded ? "show less" : `+${hidden} more`}
        </button>
      ) : null}
    </div>
  );
}
