/** The public URL of the main platform: the worker's public port, with `next start` behind it on E2E_WEB_APP_PORT. */
export const E2E_PORT = Number(process.env.E2E_PORT ?? 3210);
export const E2E_WEB_APP_PORT = Number(process.env.E2E_WEB_APP_PORT ?? 3211);
export const E2E_MAILBOX_PORT = Number(process.env.E2E_MAILBOX_PORT ?? 3299);
/** The second platform: the default install, without SMTP. */
export const E2E_NO_MAIL_PORT = Number(process.env.E2E_NO_MAIL_PORT ?? 3220);
export const E2E_NO_MAIL_WEB_APP_PORT = Number(process.env.E2E_NO_MAIL_WEB_APP_PORT ?? 3221);
