import "server-only";
import { cache } from "react";
import { api } from "~/trpc/server";
import { orNotFound } from "../../load";

/** The project in the URL, once per request, shared by the layout and the tab pages. */
export const getProject = cache(async (projectId: string) => {
  const caller = await api();
  return orNotFound(() => caller.projects.get({ projectId }));
});

export type Project = Awaited<ReturnType<typeof getProject>>;
