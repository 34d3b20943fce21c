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
  /** IDs of running containers. `signal` aborts the request (it then rejects). */
  listRunning(signal?: AbortSignal): Promise<string[]>;
  /** Full inspect data, or undefined when the container no longer exists. `signal` aborts the request (it then rejects). */
  inspect(id: string, signal?: AbortSignal): Promise<ContainerInfo | undefined>;
  /**
   * Connects to the event stream (resolves once connected, so a resync started afterwards misses nothing).
   * With `sinceNano`, dockerd replays events from that time. The iterable ends when dockerd closes the stream.
   */
  events(sinceNano: bigint | undefined, signal: AbortSignal): Promise<AsyncIterable<DockerEvent>>;
}

/**
 * Container actions that can change what a container registers. Not "kill" (a signal changes nothing by itself)
 * nor "stop" (it follows "die"): a container that exits sends "die", so each cost an inspect that found nothing new.
 */
const RELEVANT = new Set(["start", "restart", "die", "destroy", "pause", "unpause", "rename", "update", "health_status"]);

/** dockerd's `timeNano` (else `time` in seconds) as nanoseconds; undefined when neither is a whole number. */
function eventTime(timeNano: unknown, time: unknown): bigint | undefined {
  const whole = (v: unknown) => (typeof v === "number" && Number.isInteger(v) && v >= 0) || (typeof v === "string" && /^\d{1,30}$/.test(v));
  if (timeNano !== undefined) return whole(timeNano) ? BigInt(timeNano as number | string) : undefined;
  if (time === undefined) return 0n;
  return whole(time) ? BigInt(time as number | string) * 1_000_000_000n : undefined;
}

/** Parses one line of dockerd's /events stream; undefined for events that cannot change registrations. */
export function parseDockerEvent(line: string): DockerEvent | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  // Whatever answers on DOCKER_HOST may send other shapes: anything but strings where dockerd has them is skipped.
  const e = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const actor = (typeof e.Actor === "object" && e.Actor !== null ? e.Actor : {}) as { ID?: unknown; Attributes?: { container?: unknown } | null };
  const action = typeof e.Action === "string" ? e.Action.split(":")[0]!.trim() : "";
  const timeNano = eventTime(e.timeNano, e.time);
  if (timeNano === undefined) return undefined;
  if (e.Type === "container" && RELEVANT.has(action) && typeof actor.ID === "string" && actor.ID) {
    return { containerId: actor.ID, action, timeNano };
  }
  if (e.Type === "network" && (action === "connect" || action === "disconnect")) {
    const id = actor.Attributes?.container;
    if (typeof id === "string" && id) return { containerId: id, action, timeNano };
  }
  return undefined;
}

/**
 * Longest event line kept. dockerd copies a container's labels into its events, so a container with megabytes of
 * labels makes megabyte lines; a longer line is dropped (such a container is refused at its inspect anyway, see
 * MAX_INSPECT_CHARS) so that whatever answers on DOCKER_HOST cannot grow the registrator's memory without bound.
 */
export const MAX_EVENT_LINE_CHARS = 4 * 1024 * 1024;

/** Parsed events from dockerd's newline-delimited JSON stream; ends when the stream ends (or `signal` aborts). */
export async function* lines(stream: NodeJS.ReadableStream, signal: AbortSignal, maxLineChars = MAX_EVENT_LINE_CHARS): AsyncIterable<DockerEvent> {
  // The current line's pieces: each chunk is scanned once, so a long line costs linear time.
  let parts: string[] = [];
  let length = 0;
  let dropping = false;
  try {
    for await (const chunk of stream) {
      let text = chunk.toString();
      let nl: number;
      while ((nl = text.indexOf("\n")) >= 0) {
        if (!dropping) parts.push(text.slice(0, nl));
        const line = parts.join("").trim();
        text = text.slice(nl + 1);
        parts = [];
        length = 0;
        dropping = false;
        const ev = line ? parseDockerEvent(line) : undefined;
        if (ev) yield ev;
      }
      if (dropping) continue;
      length += text.length;
      if (length > maxLineChars) {
        parts = [];
        dropping = true;
      } else if (text) parts.push(text);
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
}
