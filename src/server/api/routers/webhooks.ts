import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { newWebhookEndpointId, newWebhookSecret, WebhookAllowList, WEBHOOK_DELIVERY_POLICY, webhookEndpointInputSchemaWith } from "~/core/webhooks";
import { createTRPCRouter, projectProcedure, userProjectProcedure } from "~/server/api/trpc";
import { appEnv } from "~/server/env";

/** The secret is never selected here: it is returned by create and rotateSecret only. */
const endpointSelect = {
  id: true,
  url: true,
  description: true,
  enabled: true,
  disabledReason: true,
  consecutiveFailures: true,
  createdAt: true,
  updatedAt: true,
} as const;

let allowList: WebhookAllowList | undefined;
/** Read when a URL names a private host only, so public URLs never need the app's configuration. */
const serverAllowList = () => (allowList ??= new WebhookAllowList(appEnv().WEBHOOK_ALLOW_HOSTS));
/** Public targets, or private ones that WEBHOOK_ALLOW_HOSTS names (as the worker's dispatcher allows). */
const endpointInput = webhookEndpointInputSchemaWith({ allowList: serverAllowList });

const endpointId = z.string().min(1).max(64);
const notFound = () => new TRPCError({ code: "NOT_FOUND", message: "Webhook endpoint not found." });

export const webhooksRouter = createTRPCRouter({
  list: projectProcedure("viewer").query(async ({ ctx }) => {
    const endpoints = await ctx.db.webhookEndpoint.findMany({ where: { projectId: ctx.project.id }, select: endpointSelect, orderBy: { createdAt: "desc" } });
    return { endpoints, policy: WEBHOOK_DELIVERY_POLICY };
  }),

  /** Returns the signing secret exactly once. */
  create: projectProcedure("admin", { endpoint: endpointInput }).mutation(async ({ ctx, input }) => {
    const secret = newWebhookSecret();
    const endpoint = await ctx.db.webhookEndpoint.create({
      data: { id: newWebhookEndpointId(), projectId: ctx.project.id, url: input.endpoint.url, description: input.endpoint.description, secret },
      select: endpointSelect,
    });
    return { ...endpoint, secret };
  }),

  update: projectProcedure("admin", { endpointId, endpoint: endpointInput }).mutation(async ({ ctx, input }) => {
    const result = await ctx.db.webhookEndpoint.updateMany({
      where: { id: input.endpointId, projectId: ctx.project.id },
      data: { url: input.endpoint.url, description: input.endpoint.description },
    });
    if (result.count === 0) throw notFound();
    return ctx.db.webhookEndpoint.findUniqueOrThrow({ where: { id: input.endpointId }, select: endpointSelect });
  }),

  /** Re-enabling starts a fresh run: the failure count and the reason are cleared. */
  setEnabled: userProjectProcedure("admin", { endpointId, enabled: z.boolean() }).mutation(async ({ ctx, input }) => {
    const result = await ctx.db.webhookEndpoint.updateMany({
      where: { id: input.endpointId, projectId: ctx.project.id },
      data: input.enabled
        ? { enabled: true, disabledReason: null, consecutiveFailures: 0 }
        : { enabled: false, disabledReason: `Disabled by ${ctx.user.email} on ${new Date().toISOString()}.` },
    });
    if (result.count === 0) throw notFound();
    return ctx.db.webhookEndpoint.findUniqueOrThrow({ where: { id: input.endpointId }, select: endpointSelect });
  }),

  /** A new secret signs every attempt from now on, retries of older deliveries included. Returned once. */
  rotateSecret: projectProcedure("admin", { endpointId }).mutation(async ({ ctx, input }) => {
    const secret = newWebhookSecret();
    const result = await ctx.db.webhookEndpoint.updateMany({ where: { id: input.endpointId, projectId: ctx.project.id }, data: { secret } });
    if (result.count === 0) throw notFound();
    return { id: input.endpointId, secret };
  }),

  delete: projectProcedure("admin", { endpointId }).mutation(async ({ ctx, input }) => {
    const result = await ctx.db.webhookEndpoint.deleteMany({ where: { id: input.endpointId, projectId: ctx.project.id } });
    if (result.count === 0) throw notFound();
    return { deleted: true };
  }),

  /** The most recent deliveries to one endpoint, each with its attempts (newest first). */
  deliveries: projectProcedure("viewer", { endpointId, limit: z.number().int().min(1).max(100).default(25) }).query(async ({ ctx, input }) => {
    const endpoint = await ctx.db.webhookEndpoint.findFirst({ where: { id: input.endpointId, projectId: ctx.project.id }, select: { id: true } });
    if (!endpoint) throw notFound();
    return ctx.db.webhookDelivery.findMany({
      where: { endpointId: endpoint.id, projectId: ctx.project.id },
      select: {
        id: true,
        triggerId: true,
        status: true,
        attempts: true,
        nextAttemptAt: true,
        lastStatusCode: true,
        lastError: true,
        createdAt: true,
        updatedAt: true,
        payload: true,
        attemptLog: {
          select: { id: true, attempt: true, statusCode: true, latencyMs: true, error: true, createdAt: true },
          orderBy: { attempt: "desc" },
          take: 20,
        },
      },
      orderBy: { createdAt: "desc" },
      take: input.limit,
    });
  }),

  /** Sends a failed delivery again at the dispatcher's next poll; it gets at least one more attempt. */
  retryDelivery: projectProcedure("member", { deliveryId: z.string().min(1).max(64) }).mutation(async ({ ctx, input }) => {
    const delivery = await ctx.db.webhookDelivery.findFirst({
      where: { id: input.deliveryId, projectId: ctx.project.id, endpoint: { projectId: ctx.project.id } },
      select: { id: true, status: true, endpoint: { select: { enabled: true } } },
    });
    if (!delivery) throw new TRPCError({ code: "NOT_FOUND", message: "Delivery not found." });
    if (delivery.status !== "failed")
      throw new TRPCError({ code: "BAD_REQUEST", message: `Only failed deliveries can be retried; this one is ${delivery.status}.` });
    if (!delivery.endpoint.enabled)
      throw new TRPCError({ code: "BAD_REQUEST", message: "The endpoint is disabled; enable it before retrying its deliveries." });
    await ctx.db.webhookDelivery.updateMany({ where: { id: delivery.id, status: "failed" }, data: { status: "pending", nextAttemptAt: new Date() } });
    return { retrying: true };
  }),
});
