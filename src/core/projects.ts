import { z } from "zod";
import { isTimeZone } from "./reports";
import { plainText } from "./text";
import { identifierName } from "./tracking-plan";

export const projectNameSchema = plainText(80);

export const projectSettingsSchema = z.strictObject({
  timezone: z.string().trim().max(64).refine(isTimeZone, "is not a known IANA time zone"),
  dataRetentionDays: z.number().int().min(1).max(3650),
  maxCustomAttributes: z.number().int().min(1).max(1000),
  allowedEventNames: z.array(identifierName).max(1000),
  planEnforcement: z.enum(["observe", "enforce"]),
  rateLimitPerSecond: z.number().int().min(1).max(100_000),
});
export type ProjectSettings = z.infer<typeof projectSettingsSchema>;
