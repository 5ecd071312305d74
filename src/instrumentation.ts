/** Runs once when the Next.js server starts: configuration is checked at boot, not at the first request. */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { checkAppEnvAtBoot } = await import("~/server/boot");
  checkAppEnvAtBoot();
}
