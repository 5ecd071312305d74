import { cn } from "~/lib/utils";

/** Pretty-printed JSON in a scrollable block; values are rendered as text, never as markup. */
export function JsonView({ value, className, label }: { value: unknown; className?: string; label?: string }) {
  const text = JSON.stringify(value, null, 2) ?? "null";
  return (
    <pre
      aria-label={label}
      className={cn("max-h-80 overflow-auto rounded-md border bg-muted/40 p-3 font-mono text-xs leading-relaxed whitespace-pre-wrap break-all", className)}
    >
      {text}
    </pre>
  );
}
