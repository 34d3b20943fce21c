// The subset of Consul's HTTP API JSON that the adapter reads and writes (field names as Consul spells them).
import type { Health } from "../../src/core/model.js";

/** One entry of `Checks` in PUT /v1/agent/service/register. */
export interface ConsulCheckDefinition {
  CheckID: string;
  Name: string;
  Notes?: string;
  HTTP?: string;
  TCP?: string;
  TTL?: string;
  Interval?: string;
  Timeout?: string;
  TLSSkipVerify?: boolean;
  Status?: Health;
  DeregisterCriticalServiceAfter?: string;
}

/** Body of PUT /v1/agent/service/register. */
export interface ConsulServiceRegistration {
  ID: string;
  Name: string;
  Address: string;
  Port: number;
  Tags: string[];
  Meta: Record<string, string>;
  Checks: ConsulCheckDefinition[];
  EnableTagOverride?: boolean;
}

/** A service as /v1/agent/services and /v1/health/service/<name> return it. */
export interface ConsulService {
  ID: string;
  Service: string;
  Tags?: string[] | null;
  Meta?: Record<string, string> | null;
  Address: string;
  Port: number;
  EnableTagOverride?: boolean;
}

/** A check as /v1/agent/checks and /v1/health/* return it. */
export interface ConsulCheckState {
  Node?: string;
  CheckID: string;
  Name?: string;
  Status: string;
  Output?: string;
  ServiceID: string;
  ServiceName: string;
  /** "http" (also for https), "tcp", "ttl", "" for node checks, … */
  Type?: string;
  /** Go durations ("5s", "1.5s"); "" for ttl and node checks. */
  Interval?: string;
  Timeout?: string;
  ModifyIndex?: number;
}

/** One element of GET /v1/health/service/<name>. */
export interface ConsulHealthEntry {
  Node: { Node: string; Address: string };
  Service: ConsulService;
  Checks: ConsulCheckState[];
}

/** One entry of GET /v1/kv/<prefix>?recurse. */
export interface ConsulKvEntry {
  Key: string;
  /** Base64; null for a key without a value. */
  Value: string | null;
  ModifyIndex?: number;
}
