import { plainText } from "./text";

/** The name a person gives an API key, shared by the form and the apiKeys router. */
export const apiKeyNameSchema = plainText(80);
