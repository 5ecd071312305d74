import { accountRouter } from "~/server/api/routers/account";
import { alertsRouter } from "~/server/api/routers/alerts";
import { adminRouter } from "~/server/api/routers/admin";
import { apiKeysRouter } from "~/server/api/routers/api-keys";
import { cohortsRouter } from "~/server/api/routers/cohorts";
import { invitesRouter } from "~/server/api/routers/invites";
import { notificationsRouter } from "~/server/api/routers/notifications";
import { organizationsRouter } from "~/server/api/routers/organizations";
import { projectsRouter } from "~/server/api/routers/projects";
import { trackingPlanRouter } from "~/server/api/routers/tracking-plan";
import { triggersRouter } from "~/server/api/routers/triggers";
import { webhooksRouter } from "~/server/api/routers/webhooks";
import { deadLettersRouter } from "~/server/api/routers/dead-letters";
import { eventsRouter } from "~/server/api/routers/events";
import { profilesRouter } from "~/server/api/routers/profiles";
import { reportsRouter } from "~/server/api/routers/reports";
import { savedReportsRouter } from "~/server/api/routers/saved-reports";
import { importsRouter } from "~/server/api/routers/imports";
import { createCallerFactory, createTRPCRouter } from "~/server/api/trpc";

export const appRouter = createTRPCRouter({
  account: accountRouter,
  organizations: organizationsRouter,
  invites: invitesRouter,
  projects: projectsRouter,
  apiKeys: apiKeysRouter,
  trackingPlan: trackingPlanRouter,
  triggers: triggersRouter,
  notifications: notificationsRouter,
  webhooks: webhooksRouter,
  reports: reportsRouter,
  savedReports: savedReportsRouter,
  alerts: alertsRouter,
  events: eventsRouter,
  profiles: profilesRouter,
  cohorts: cohortsRouter,
  deadLetters: deadLettersRouter,
  imports: importsRouter,
  admin: adminRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
