import { z } from "zod";
import { plainText } from "./text";

/** The name a person gives an API key, shared by the form and the apiKeys router. */
export const apiKeyNameSchema = plainText(80);

/**
 * What a key may do, always within its one project: `write` ingests events and profiles (the
 * original keys), `read` reads reports and events, `manage` reads and changes the configuration.
 * No kind includes another: a write key cannot read, a read key cannot ingest.
 */
export const API_KEY_KINDS = ["write", "read", "manage"] as const;
export type ApiKeyKind = (typeof API_KEY_KINDS)[number];
export const apiKeyKindSchema = z.enum(API_KEY_KINDS);
