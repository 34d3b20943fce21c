// The shapes of dockerd's answers that the registrator reads, checked where they enter: whatever listens on
// DOCKER_HOST (a proxy, a Docker look-alike, something that is not Docker at all) may answer JSON of another
// shape, and a field of the wrong type must become a clear, retried Docker error, never a TypeError deep in the
// mapping. Objects stay loose (fields not read here pass through untouched). zod/v3, as in src/core/model.ts and
// for the same reason: "zod" (v4) alone added ~9 MiB to the registrator's RSS, measured.
import { z } from "zod/v3";
import { PortolanError } from "../core/errors.js";
import type { ContainerInfo } from "./engine.js";

/** An object whose other fields pass through untouched (v4's z.looseObject). */
const loose = <T extends z.ZodRawShape>(shape: T) => z.object(shape).passthrough();
const str = z.string();
const strMap = z.record(z.string(), z.string());
const bindings = z.record(z.string(), z.array(loose({ HostIp: str.optional(), HostPort: str.optional() })).nullable());

const inspectSchema = loose({
  Id: str,
  Name: str,
  State: loose({
    Running: z.boolean(),
    ExitCode: z.number().optional(),
    Health: loose({ Status: str, Log: z.array(loose({ Output: str.nullish() }).nullable()).nullish() }).nullish(),
  }),
  Config: loose({
    Image: str.optional(),
    Env: z.array(str).nullish(),
    Labels: strMap.nullish(),
    ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
  }).nullish(),
  NetworkSettings: loose({
    Ports: bindings.nullish(),
    Networks: z.record(z.string(), loose({ IPAddress: str.optional(), GlobalIPv6Address: str.optional() }).nullable()).nullish(),
  }).nullish(),
  HostConfig: loose({ NetworkMode: str.optional(), PortBindings: bindings.nullish() }).nullish(),
});

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

function check<T>(schema: z.ZodType<T>, text: string, path: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new DockerAnswerError(path, "body", "not JSON");
  }
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new DockerAnswerError(path, issue.path.map(String).join(".") || "body", issue.message);
}

/** GET /containers/{id}/json, checked. */
export function parseInspect(text: string, path: string): ContainerInfo {
  return check(inspectSchema, text, path) as unknown as ContainerInfo;
}
