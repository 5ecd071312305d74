"use client";

import { signOut } from "next-auth/react";
import { HydratedButton as Button } from "~/components/hydrated-button";

export function SignOutButton() {
  return (
    <Button variant="ghost" size="sm" onClick={() => void signOut({ callbackUrl: "/login" })}>
      Sign out
    </Button>
  );
}
