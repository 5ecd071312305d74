import type { ReactNode } from "react";
import { get, useFormState, type Control, type FieldValues, type Path, type RegisterOptions, type UseFormRegisterReturn } from "react-hook-form";
import { Label } from "~/components/ui/label";
import { describeFieldError } from "~/components/form-errors";
import { cn } from "~/lib/utils";

export interface FieldControlProps {
  id: string;
  "aria-invalid": boolean | undefined;
  "aria-describedby": string | undefined;
}

interface FormFieldProps {
  id: string;
  label: string;
  /** The raw message ("is required"); shown after the label. */
  error?: string | undefined;
  hint?: ReactNode;
  className?: string;
  labelClassName?: string;
  children: (control: FieldControlProps) => ReactNode;
}

/** A label, its control, an optional hint and the field's error, wired together for screen readers. */
export function FormField({ id, label, error, hint, className, labelClassName, children }: FormFieldProps) {
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(" ") || undefined;
  return (
    <div className={cn("space-y-2", className)}>
      <Label htmlFor={id} className={labelClassName}>
        {label}
      </Label>
      {children({ id, "aria-invalid": error ? true : undefined, "aria-describedby": describedBy })}
      {hint ? (
        <p id={hintId} className="text-xs text-muted-foreground">
          {hint}
        </p>
      ) : null}
      <FieldError id={errorId} label={label} message={error} />
    </div>
  );
}

interface FieldProps<TValues extends FieldValues, TOutput> extends Omit<FormFieldProps, "error" | "children"> {
  /** The form's `control` (from useZodForm). */
  control: Control<TValues, unknown, TOutput>;
  name: Path<TValues>;
  /** The server's message for this field; the client's own check wins when both have one. */
  serverError?: string | undefined;
  registerOptions?: RegisterOptions<TValues, Path<TValues>>;
  children: (control: FieldControlProps & UseFormRegisterReturn<Path<TValues>>) => ReactNode;
}

/** A FormField bound to a react-hook-form field: its input is registered and its error shown. */
export function Field<TValues extends FieldValues, TOutput>({ control, name, serverError, registerOptions, children, ...field }: FieldProps<TValues, TOutput>) {
  const { errors } = useFormState({ control, name });
  const clientError: unknown = get(errors, name);
  const message = fieldErrorMessage(clientError) ?? serverError;
  return (
    <FormField {...field} error={message}>
      {(props) => children({ ...props, ...control.register(name, registerOptions) })}
    </FormField>
  );
}

/** The message of a react-hook-form field error (or of its "root", for a list with errors inside). */
export function fieldErrorMessage(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  if ("message" in error && typeof error.message === "string" && error.message) return error.message;
  if ("root" in error) return fieldErrorMessage(error.root);
  return undefined;
}

export function FieldError({ id, label, message }: { id?: string | undefined; label: string; message?: string | undefined }) {
  if (!message) return null;
  return (
    <p id={id} className="text-sm text-destructive">
      {describeFieldError(label, message)}
    </p>
  );
}

/** The form-level error: the server's message, or field errors that have no input of their own. */
export function FormError({ messages }: { messages: ReadonlyArray<string | null | undefined> }) {
  const shown = messages.filter((message): message is string => Boolean(message));
  if (shown.length === 0) return null;
  return (
    <div role="alert" className="rounded-md border border-destructive/40 bg-destructive/5 px-3 py-2 text-sm text-destructive">
      {shown.map((message) => (
        <p key={message}>{message}</p>
      ))}
    </div>
  );
}
