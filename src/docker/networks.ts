// `--network NAME` against the networks dockerd has, checked at start-up before any effect: a name dockerd does
// not know is a usage error (exit 64) naming the flag and the network, as SERVICE_NETWORK naming a network the
// container is not on rejects that service. A dockerd that does not answer yet is waited for, as the event loop
// waits for it, until it answers or the process is stopped.
import type { Clock } from "../core/clock.js";
import { UsageError } from "../core/errors.js";
import { quote } from "./refusal.js";

/** At most this many network names are listed in the error. */
const LISTED = 20;

export class UnknownNetworkError extends UsageError {
  override name = "UnknownNetworkError";
  readonly network: string;
  constructor(network: string, known: readonly string[]) {
    const sorted = [...known].sort();
    const list = sorted.slice(0, LISTED).join(", ") + (sorted.length > LISTED ? `, … (${sorted.length} in all)` : "");
    super(`--network: Docker has no network named ${quote(network)} (networks: ${list || "none"})`);
    this.network = network;
  }
}

export interface RequireNetworkOptions {
  clock: Clock;
  /** Aborted when the process is told to stop: the wait ends. */
  signal: AbortSignal;
  /** Delay before retry `attempt` (0-based). */
  retryDelay: (attempt: number) => number;
  /** Told of each failed attempt to list the networks. */
  onError: (error: unknown, attempt: number) => void;
}

/**
 * Resolves true once dockerd's network list holds `network`, false when `signal` aborted first; throws
 * UnknownNetworkError when the list lacks it. A usage error from listing (a malformed DOCKER_HOST) is thrown as is.
 */
export async function requireNetwork(network: string, list: () => Promise<string[]>, o: RequireNetworkOptions): Promise<boolean> {
  for (let attempt = 0; !o.signal.aborted; attempt++) {
    let names: string[];
    try {
      names = await list();
    } catch (error) {
      if (error instanceof UsageError) throw error;
      o.onError(error, attempt);
      await o.clock.sleep(o.retryDelay(attempt), o.signal);
      continue;
    }
    if (!names.includes(network)) throw new UnknownNetworkError(network, names);
    return true;
  }
  return false;
}
