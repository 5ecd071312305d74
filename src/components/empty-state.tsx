import type { ReactNode } from "react";
import { cn } from "~/lib/utils";

/** What a list shows when it has nothing yet: what it is for and how to start. */
export function EmptyState({ title, description, action, className }: { title: string; description?: ReactNode; action?: ReactNode; className?: string }) {
  return (
    <div className={cn("flex flex-col items-center justify-center gap-2 rounded-lg border border-dashed px-6 py-10 text-center", className)}>
      <p className="font-medium">{title}</p>
      {description ? <div className="max-w-md text-sm text-muted-foreground">{description}</div> : null}
      {action ? <div className="pt-2">{action}</div> : null}
    </div>
  );
}
