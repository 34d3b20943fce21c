// A fake backend's blocking query: waits for the next wake (a function pushed to `waiters`) or for `signal` to abort.
export function nextWake(waiters: (() => void)[], signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    waiters.push(done);
    signal.addEventListener("abort", done, { once: true });
  });
}
