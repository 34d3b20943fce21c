// The Docker side of the registrator: a small port (fakes in unit tests; client.ts talks to dockerd) and the
// pure parsing of dockerd's event stream.
import type { ContainerInspectInfo } from "dockerode";

export type ContainerInfo = ContainerInspectInfo;

/** One Docker event that concerns a container, reduced to what the registrator needs. */
export interface DockerEvent {
  containerId: string;
  /** "start", "die", "destroy", "pause", "unpause", "health_status", "connect", "disconnect", ... */
  action: string;
  /** Nanoseconds since the epoch, as dockerd reports `timeNano`. */
  timeNano: bigint;
}

export interface DockerPort {
  /** IDs of running containers. */
  listRunning(): Promise<string[]>;
  /** Full inspect data, or undefined when the container no longer exists. */
  inspect(id: string): Promise<ContainerInfo | undefined>;
  /**
   * Connects to the event stream (resolves once connected, so a resync started afterwards misses nothing).
   * With `sinceNano`, dockerd replays events from that time. The iterable ends when dockerd closes the stream.
   */
  events(sinceNano: bigint | undefined, signal: AbortSignal): Promise<AsyncIterable<DockerEvent>>;
}

/** Container actions that can change what a container registers. */
const RELEVANT = new Set(["start", "restart", "die", "stop", "kill", "destroy", "pause", "unpause", "rename", "update", "health_status"]);

/** Parses one line of dockerd's /events stream; undefined for events that cannot change registrations. */
export function parseDockerEvent(line: string): DockerEvent | undefined {
  let raw: { Type?: string; Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> }; timeNano?: number | string; time?: number };
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  const action = (raw.Action ?? "").split(":")[0]!.trim();
  const timeNano = raw.timeNano !== undefined ? BigInt(raw.timeNano) : BigInt(raw.time ?? 0) * 1_000_000_000n;
  if (raw.Type === "container" && RELEVANT.has(action) && raw.Actor?.ID) {
    return { containerId: raw.Actor.ID, action, timeNano };
  }
  if (raw.Type === "network" && (action === "connect" || action === "disconnect")) {
    const id = raw.Actor?.Attributes?.container;
    if (id) return { containerId: id, action, timeNano };
  }
  return undefined;
}

/** Parsed events from dockerd's newline-delimited JSON stream; ends when the stream ends (or `signal` aborts). */
export async function* lines(stream: NodeJS.ReadableStream, signal: AbortSignal): AsyncIterable<DockerEvent> {
  let buf = "";
  try {
    for await (const chunk of stream) {
      buf += chunk.toString();
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        const ev = line ? parseDockerEvent(line) : undefined;
        if (ev) yield ev;
      }
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
}
