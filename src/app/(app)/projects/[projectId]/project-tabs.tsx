"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { cn } from "~/lib/utils";

const TABS = [
  { segment: "", label: "Overview" },
  { segment: "/dashboard", label: "Dashboard" },
  { segment: "/reports", label: "Reports" },
  { segment: "/events", label: "Events" },
  { segment: "/profiles", label: "Profiles" },
  { segment: "/keys", label: "API keys" },
  { segment: "/tracking-plan", label: "Tracking plan" },
  { segment: "/dead-letters", label: "Dead letters" },
  { segment: "/triggers", label: "Triggers" },
  { segment: "/webhooks", label: "Webhooks" },
  { segment: "/settings", label: "Settings" },
] as const;

export function ProjectTabs({ projectId }: { projectId: string }) {
  const pathname = usePathname();
  const base = `/projects/${projectId}`;
  return (
    <nav aria-label="Project sections" className="flex gap-1 overflow-x-auto border-b">
      {TABS.map((tab) => {
        const href = `${base}${tab.segment}`;
        const active = tab.segment === "" ? pathname === base : pathname === href || pathname.startsWith(`${href}/`);
        return (
          <Link
            key={tab.label}
            href={href}
            aria-current={active ? "page" : undefined}
            className={cn(
              "whitespace-nowrap border-b-2 px-3 py-2 text-sm font-medium transition-colors",
              active ? "border-primary text-foreground" : "border-transparent text-muted-foreground hover:border-border hover:text-foreground",
            )}
          >
            {tab.label}
          </Link>
        );
      })}
    </nav>
  );
}
