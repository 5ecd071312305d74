import { z } from "zod";

/**
 * Mirrors the `keyName` rule of the apiKeys router (which keeps it private to the server);
 * the server's message still shows if the two ever drift.
 */
export const apiKeyNameSchema = z
  .string()
  .trim()
  .min(1, "is required")
  .max(80, "is at most 80 characters")
  .refine((value) => !/[<>]/.test(value), "must not contain < or >");
