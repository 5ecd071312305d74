import { z } from "zod";

/**
 * A trimmed single-line text a person typed: names, titles, descriptions. Angle brackets are
 * refused so markup never reaches storage, mails or other tools reading it.
 */
export function plainText(max: number, opts: { required?: boolean } = {}) {
  const base = z.string().trim().max(max, `is at most ${max} characters`);
  return (opts.required === false ? base : base.min(1, "is required")).refine((value) => !/[<>]/.test(value), "must not contain < or >");
}
