"use client";

import { Button, type ButtonProps } from "~/components/ui/button";
import { useIsClient } from "~/components/use-is-client";

/**
 * A Button that stays disabled until React has hydrated the page, so an early click (a quick
 * person, or a browser test) is never lost or turned into a native form submission.
 */
export function HydratedButton({ disabled, ...props }: ButtonProps) {
  const hydrated = useIsClient();
  return <Button disabled={!hydrated || disabled} {...props} />;
}
