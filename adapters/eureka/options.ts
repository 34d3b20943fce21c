// Options of the Eureka adapter, their defaults, and the one place that checks them.
import type { Clock } from "../../src/core/clock.js";
import type { Logger } from "../../src/core/log.js";
import { PortolanError } from "../../src/core/errors.js";
import type { EurekaTransport } from "./http.js";

export interface EurekaServer {
  host: string;
  port: number;
}

export interface EurekaOptions {
  /** Peers of one Eureka cluster, in the order tried: requests go to the first that answers and stay there until it fails. */
  servers: EurekaServer[];
  /** Context path of the REST API on every server ("/eureka" for Spring Cloud's server), no trailing "/". */
  path: string;
  /** Basic auth (EUREKA_USERNAME / EUREKA_PASSWORD); the password never reaches a log line or a message. */
  username?: string;
  password?: string;
  /** Lease renewal (heartbeat) interval of every instance this process registers. Default 30 s, as Eureka's clients. */
  renewMs?: number;
  /** Lease duration: the server evicts an instance not renewed for this long. Default 90 s, as Eureka's clients. */
  leaseMs?: number;
  /** How often watch() asks for the registry's delta. Default 10 s. */
  pollMs?: number;
  /** Bound of every request. Default 10 s. */
  requestTimeoutMs?: number;
  logger?: Logger;
  clock?: Clock;
  /** Replaces the HTTP transport (unit tests); its requests then skip failover and basic auth. */
  transport?: EurekaTransport;
}

export const DEFAULT_PATH = "/eureka";
export const DEFAULT_PORT = 8761;
export const DEFAULT_RENEW_MS = 30_000;
export const DEFAULT_LEASE_MS = 90_000;
export const DEFAULT_POLL_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Eureka counts leases in whole seconds. */
export const MIN_RENEW_MS = 1_000;
export const MIN_POLL_MS = 500;

/** A EurekaOptions value that cannot be used (a lease not longer than its renewal interval…). */
export class EurekaOptionsError extends PortolanError {
  override name = "EurekaOptionsError";
  readonly option: string;
  constructor(opts: { option: string; message: string }) {
    super(`eureka option ${opts.option}: ${opts.message}`);
    this.option = opts.option;
  }
}

/** The problem with these timings, or undefined: what the URI parser and the adapter both check. */
export function timingProblem(t: { renewMs: number; leaseMs: number; pollMs: number }): { option: string; message: string } | undefined {
  if (!Number.isInteger(t.renewMs / 1000) || t.renewMs < MIN_RENEW_MS) return { option: "renew", message: "must be a whole number of seconds, at least 1s" };
  if (!Number.isInteger(t.leaseMs / 1000) || t.leaseMs <= t.renewMs) return { option: "lease", message: "must be a whole number of seconds, longer than renew" };
  if (t.pollMs < MIN_POLL_MS) return { option: "poll", message: `must be at least ${MIN_POLL_MS}ms` };
  return undefined;
}
