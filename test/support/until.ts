// Polls `cond` until it holds; throws naming `what` after `timeoutMs`. Errors from `cond` propagate at once.
export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000, stepMs = 25): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
