// State changes of the registrator, as one discriminated union: the same events feed logs and metrics.
import type { Health, Instance } from "../core/model.js";
import type { Rejection } from "../docker/mapping.js";

export type RegistratorEvent =
  | { type: "registered"; instance: Instance; reason: "new" | "changed" }
  | { type: "deregistered"; id: string; name: string; reason: string }
  | { type: "health"; id: string; name: string; health: Health }
  | { type: "rejected"; rejection: Rejection }
  /** The services refused now changed (a refusal came, or went with its container or its cause). */
  | { type: "refusals"; refusals: Rejection[] }
  | { type: "backend-error"; op: string; id?: string; attempt: number; error: unknown }
  | { type: "docker-error"; error: unknown; attempt: number }
  | { type: "docker-connected"; resumedFromNano?: bigint }
  | { type: "resync"; durationMs: number; containers: number; writes: number }
  /** Shutdown ended (within its bound): entries removed, and the IDs left for the next start or `--cleanup`. */
  | { type: "stopped"; deregistered: number; left: string[]; timedOut: boolean };

export type EventSink = (e: RegistratorEvent) => void;
