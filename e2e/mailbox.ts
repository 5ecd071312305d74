import { expect } from "@playwright/test";
import { E2E_MAILBOX_PORT } from "./ports";

/** Waits for a mail to `to` containing `path` and returns the link's token. */
export async function linkTokenFromMail(to: string, path: string): Promise<string> {
  let token: string | undefined;
  await expect
    .poll(
      async () => {
        const mails = (await (await fetch(`http://127.0.0.1:${E2E_MAILBOX_PORT}/mails?to=${encodeURIComponent(to)}`)).json()) as string[];
        const pattern = new RegExp(`${path.replace(/[/?]/g, "\\$&")}([\\w-]+)`);
        token = mails
          .map((mail) => mail.match(pattern)?.[1])
          .filter(Boolean)
          .at(-1);
        return token;
      },
      { timeout: 15_000 },
    )
    .toBeTruthy();
  return token!;
}
