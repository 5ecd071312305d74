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
  { segment: "/cohorts", label: "Cohorts" },
  { segment: "/keys", label: "API keys" },
  { segment: "/tracking-plan", label: "Tracking plan" },
  { segment: "/dead-letters", label: "Dead letters" },
  { segment: "/import", label: "Import" },
  { segment: "/triggers", label: "Triggers" },
  { segment: "/alerts", label: "Alerts" },
  { segment: "/webhooks", label: "Webhooks" },
  { segment: "/settings", label: "Settings" },
] as const;

/** Organisation › project › section, each a link but the page itself. */
export function ProjectBreadcrumb({ projectId, projectName, orgId, orgName }: { projectId: string; projectName: string; orgId: string; orgName: string }) {
  const pathname = usePathname();
  const base = `/projects/${projectId}`;
  const section = TABS.find((tab) => tab.segment !== "" && (pathname === `${base}${tab.segment}` || pathname.startsWith(`${base}${tab.segment}/`)));
  const link = "min-w-0 truncate underline-offset-4 hover:text-foreground hover:underline";
  return (
    <nav aria-label="Breadcrumb">
      <ol className="flex min-w-0 flex-wrap items-center gap-1.5 text-sm text-muted-foreground">
        <li className="flex min-w-0 items-center">
          <Link href={`/orgs/${orgId}`} className={link}>
            {orgName}
          </Link>
        </li>
        <li aria-hidden="true">/</li>
        <li className="flex min-w-0 items-center">
          {section ? (
            <Link href={base} className={link}>
              {projectName}
            </Link>
          ) : (
            <span aria-current="page" className="truncate text-foreground">
              {projectName}
            </span>
          )}
        </li>
        {section ? (
          <>
            <li aria-hidden="true">/</li>
            <li aria-current="page" className="truncate text-foreground">
              {section.label}
            </li>
          </>
        ) : null}
      </ol>
    </nav>
  );
}

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
