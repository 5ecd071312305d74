"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useForm, type FieldValues, type UseFormProps, type UseFormReturn } from "react-hook-form";
import type { z } from "zod";
import { humanizedErrorMap } from "~/components/form-errors";

/**
 * react-hook-form over a shared zod schema, with zod's built-in messages in our wording. Errors
 * change only when the form is submitted again, and focus stays where the person left it, as the
 * forms did before they used react-hook-form.
 */
export function useZodForm<TSchema extends z.ZodType<FieldValues, FieldValues>>(
  schema: TSchema,
  options: Omit<UseFormProps<z.input<TSchema>, unknown, z.output<TSchema>>, "resolver"> = {},
): UseFormReturn<z.input<TSchema>, unknown, z.output<TSchema>> {
  return useForm<z.input<TSchema>, unknown, z.output<TSchema>>({
    resolver: zodResolver(schema, { error: humanizedErrorMap }),
    reValidateMode: "onSubmit",
    shouldFocusError: false,
    ...options,
  });
}
