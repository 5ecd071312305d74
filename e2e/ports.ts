export const E2E_PORT = Number(process.env.E2E_PORT ?? 3210);
export const E2E_MAILBOX_PORT = Number(process.env.E2E_MAILBOX_PORT ?? 3299);
/** The second platform: the default install, without SMTP. */
export const E2E_NO_MAIL_PORT = Number(process.env.E2E_NO_MAIL_PORT ?? 3220);
