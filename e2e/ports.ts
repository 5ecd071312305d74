export const E2E_PORT = Number(process.env.E2E_PORT ?? 3210);
export const E2E_MAILBOX_PORT = Number(process.env.E2E_MAILBOX_PORT ?? 3299);
