// The shapes of dockerd's answers that the registrator reads, checked where they enter: whatever listens on
// DOCKER_HOST (a proxy, a Docker look-alike, something that is not Docker at all) may answer JSON of another
// shape, and a field of the wrong type must become a clear, retried Docker error, never a TypeError deep in the
// mapping. Objects stay loose (fields not read here pass through untouched). Hand-written, not zod, as
// src/core/model.ts: this runs on every container start, in V8's interpreter (zod took ~0.6 ms of it).
import { PortolanError } from "../core/errors.js";
import { isRecord } from "../core/model.js";
import type { ContainerInfo } from "./engine.js";
/**
 * Longest inspect answer taken, in characters. Labels are the container owner's to fill (dockerd took a 16 MiB
 * one) and every other container waits while one is parsed; a registrable container's SERVICE_* keys fit in a few
 * KiB (64 keys of at most 512 characters), so 4 MiB leaves room for any honest label set.
 */
export const MAX_INSPECT_CHARS = 4 * 1024 * 1024;

/** A container whose inspect answer is over MAX_INSPECT_CHARS: refused once, never retried, serves nothing. */
export class ContainerTooLargeError extends PortolanError {
  override name = "ContainerTooLargeError";
  constructor(
    readonly containerId: string,
    readonly maxChars: number,
  ) {
    super(`docker inspect answer over ${maxChars} characters (labels and env this large are refused)`);
  }
}

/** What the registrator acts on for a refused container: it runs nothing registrable, so it holds no entry. */
export function refusedContainer(id: string): ContainerInfo {
  return { Id: id, Name: "", State: { Running: false, ExitCode: 0 } } as unknown as ContainerInfo;
}

/** An answer from DOCKER_HOST that is not what dockerd sends: retried like any other Docker failure. */
export class DockerAnswerError extends PortolanError {
  override name = "DockerAnswerError";
  constructor(
    readonly path: string,
    readonly field: string,
    problem: string,
  ) {
    super(`docker ${path}: unexpected answer (${field}: ${problem}); is DOCKER_HOST a Docker engine?`);
  }
}

/** A field that is not what dockerd sends: its dotted path and why. */
class Bad {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {}
}

type Check = (x: unknown, at: string) => void;

const str: Check = (x, at) => {
  if (typeof x !== "string") throw new Bad(at, "expected a string");
};
const optional = (check: Check): Check => (x, at) => x === undefined || check(x, at);
/** Absent or null, or what `check` takes. */
const nullish = (check: Check): Check => (x, at) => x === undefined || x === null || check(x, at);
const object =
  (shape: Record<string, Check>): Check =>
  (x, at) => {
    if (!isRecord(x)) throw new Bad(at, "expected an object");
    for (const [k, check] of Object.entries(shape)) check(x[k], at ? `${at}.${k}` : k);
  };
const record =
  (value: Check): Check =>
  (x, at) => {
    if (!isRecord(x)) throw new Bad(at, "expected an object");
    for (const [k, v] of Object.entries(x)) value(v, `${at}.${k}`);
  };
const array =
  (item: Check): Check =>
  (x, at) => {
    if (!Array.isArray(x)) throw new Bad(at, "expected a list");
    x.forEach((v, n) => item(v, `${at}.${n}`));
  };

const bindings = record(nullish(array(object({ HostIp: optional(str), HostPort: optional(str) }))));
const inspectShape = object({
  Id: str,
  Name: str,
  State: object({
    Running: (x, at) => {
      if (typeof x !== "boolean") throw new Bad(at, "expected true or false");
    },
    ExitCode: optional((x, at) => {
      if (typeof x !== "number") throw new Bad(at, "expected a number");
    }),
    Health: nullish(object({ Status: str, Log: nullish(array(nullish(object({ Output: nullish(str) })))) })),
  }),
  Config: nullish(object({ Image: optional(str), Env: nullish(array(str)), Labels: nullish(record(str)), ExposedPorts: nullish(record(() => {})) })),
  NetworkSettings: nullish(object({ Ports: nullish(bindings), Networks: nullish(record(nullish(object({ IPAddress: optional(str), GlobalIPv6Address: optional(str) })))) })),
  HostConfig: nullish(object({ NetworkMode: optional(str), PortBindings: nullish(bindings) })),
});

/** GET /containers/{id}/json, checked. */
export function parseInspect(text: string, path: string): ContainerInfo {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new DockerAnswerError(path, "body", "not JSON");
  }
  try {
    inspectShape(raw, "");
  } catch (err) {
    if (err instanceof Bad) throw new DockerAnswerError(path, err.field || "body", err.problem);
    throw err;
  }
  return raw as ContainerInfo;
}
