"use client";

import { Input } from "~/components/ui/input";
import { useIsClient } from "~/components/use-is-client";
import type { InputHTMLAttributes } from "react";

let zones: string[] | null = null;
function timeZones(): string[] {
  zones ??= typeof Intl.supportedValuesOf === "function" ? ["UTC", ...Intl.supportedValuesOf("timeZone").filter((zone) => zone !== "UTC")] : ["UTC"];
  return zones;
}

/** A text input suggesting IANA time zones (the list comes from the browser, so it mounts client-side). */
export function TimezoneInput({ id, ...props }: InputHTMLAttributes<HTMLInputElement> & { id: string }) {
  const isClient = useIsClient();
  const listId = `${id}-zones`;
  return (
    <>
      <Input id={id} list={listId} autoComplete="off" spellCheck={false} {...props} />
      {isClient ? (
        <datalist id={listId}>
          {timeZones().map((zone) => (
            <option key={zone} value={zone} />
          ))}
        </datalist>
      ) : null}
    </>
  );
}
