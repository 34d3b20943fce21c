// Docker container (inspect JSON) -> portolan service instances. Pure: no sockets, no dockerode calls.
//
// Registrator-compatible (gliderlabs/registrator bridge.go/util.go), with these decisions:
// - Only a running container (not paused, not restarting) yields instances; otherwise none and no rejections.
// - ID: `<hostname>:<container-name>:<exposed-port>[:udp]`; SERVICE_ID (per port too) replaces it whole,
//   as in registrator. Two services of one container with the same ID: the later one is rejected. IDs are
//   namespaced by owner: a SERVICE_ID containing ":" must start with `<hostname>:` (so no container can name
//   an ID of another host's namespace); one without ":" is accepted and the backend refuses it when another
//   owner holds it.
// - At most `maxServices` services per container (the first by port order); the rest are rejected at once,
//   with one line for the container, so one container cannot hold the registrator for minutes.
// - Swarm-mode tasks (label com.docker.swarm.task.id) register their overlay address (see address.ts).
// - Name: SERVICE_NAME, else label `com.docker.swarm.service.name`, else `com.docker.compose.service`, else the image basename (registry, path,
//   tag and digest removed). With more than one registering port, a name not given by `SERVICE_<port>_NAME`
//   gets `-<exposed-port>`. Registrator counts ports before SERVICE_IGNORE/--explicit; so does portolan, so
//   migrated names match. Case is kept (registrator does not lower-case; DNS answers case-insensitively).
//   A name that is not a DNS label (RFC 1123, at most 63) is rejected, never emitted.
// - Tags: SERVICE_TAGS, then `--tags`, then "udp" for udp ports (registrator adds it too); de-duplicated,
//   order kept; a tag over 255 characters or with a control character rejects the service.
// - SERVICE_IGNORE and SERVICE_CHECK_TCP are booleans (true/1, false/0); anything else rejects the service.
// - SERVICE_NETWORK must name an attached network in every mode (published mode takes no address from it).
// - Meta: every other SERVICE_* attribute, key lower-cased as registrator (see metadata.ts).
// - Health: Docker HEALTHCHECK status: none -> passing, starting -> warning, healthy -> passing,
//   unhealthy -> critical.
// Addresses: see address.ts. Checks: see checks.ts.
import type { ContainerInspectInfo } from "dockerode";
import { boundText, DNS_LABEL, MAX_CHECK_OUTPUT, MAX_TAG_LENGTH, type Health, type Instance } from "../core/model.js";
import { CONTROL_CHARS, ID_SEPARATOR, instanceProblem } from "../core/validate.js";
import { chooseNetwork, endpointFor, networkChoices, portCandidates, registeringPorts, type PortCandidate } from "./address.js";
import { boolOf, buildChecks, type DeclaredCheck } from "./checks.js";
import { unexposedCandidate } from "./portless.js";
import { buildMeta, metaEntries, metadataForPort, readServiceMetadata, SERVICE_PREFIX, splitTags, type PortEntry, type ServiceMetadata } from "./metadata.js";
import { MetadataRefusal, quote } from "./refusal.js";

export interface MappingOptions {
  /** Owner of every instance and first part of the ID (`--hostname`, default os.hostname()). */
  hostname: string;
  /** `--ip`: address for published ports and host-network containers; always wins over the binding's HostIp. */
  hostIp?: string;
  /** `--internal`: container IP and exposed port instead of the published host port. */
  internal: boolean;
  /** `--explicit`: only ports with SERVICE_NAME or SERVICE_<port>_NAME register. */
  explicit: boolean;
  /** `--tags`: appended to every service. */
  tags: string[];
  /** `--network` (with `internal`): network of container addresses (SERVICE_NETWORK overrides; a container on neither is rejected). */
  network?: string;
  /** `--ttl`: adds a ttl check with this TTL to every service. */
  ttlMs?: number;
  /** `--use-ip-from-label`: a label holding the address to register (e.g. "10.0.0.5" or "10.0.0.5/24"). */
  useIpFromLabel?: string;
  /** `--max-services`: services one container may register; default DEFAULT_MAX_SERVICES. */
  maxServices?: number;
}

export const DEFAULT_MAX_SERVICES = 1000;

/** Where an instance came from: its Docker port key and the SERVICE_* key behind each field (`meta.version` -> `SERVICE_VERSION`). */
export interface Origin {
  container: string;
  port: string;
  keys: Record<string, string>;
  /** The ID is the default one computed for this container and port (no SERVICE_ID chose another). */
  defaultId?: boolean;
  /** The output of the container's last HEALTHCHECK probe, bounded (healthOutput). */
  healthOutput?: string;
}

export interface Rejection {
  /** Container name (without the leading slash), or the short ID if it has none. */
  container: string;
  /** The key at fault: a SERVICE_* key, a label, an inspect field or a flag. */
  key: string;
  reason: string;
  /** Docker's port key ("80/tcp") when the rejection concerns one service, absent for the container. */
  port?: string;
}

export interface MappingResult {
  instances: Instance[];
  rejected: Rejection[];
  /** By instance ID: where each instance came from, so a backend's refusal can name the container's key. */
  origins: Map<string, Origin>;
}

export const COMPOSE_SERVICE_LABEL = "com.docker.compose.service";
/** The swarm-mode service a task's container belongs to: its name is the default service name. */
export const SWARM_SERVICE_LABEL = "com.docker.swarm.service.name";
export const MAX_NAME_LENGTH = 63;

/**
 * The output of the container's last HEALTHCHECK probe (the newest of the few Docker keeps), trimmed and bounded as
 * any check output (boundText): the container writes it, so it is untrusted. Undefined without a probe or output.
 */
export function healthOutput(info: ContainerInspectInfo): string | undefined {
  const log = info.State?.Health?.Log;
  const text = log?.[log.length - 1]?.Output?.trim();
  return text ? boundText(text, MAX_CHECK_OUTPUT) : undefined;
}

/** Instance health from Docker's HEALTHCHECK status. */
export function healthOf(info: ContainerInspectInfo): Health {
  switch (info.State?.Health?.Status) {
    case "starting":
      return "warning";
    case "unhealthy":
      return "critical";
    default:
      return "passing";
  }
}

/** True when the container's services should be registered. */
export function isServing(info: ContainerInspectInfo): boolean {
  const s = info.State;
  return s !== undefined && s.Running === true && s.Paused !== true && s.Restarting !== true;
}

/** "library/redis:7" -> "redis"; "registry:5000/team/api@sha256:…" -> "api". */
export function imageBasename(image: string): string {
  const noDigest = image.split("@")[0] ?? "";
  const base = noDigest.slice(noDigest.lastIndexOf("/") + 1);
  return base.split(":")[0] ?? "";
}

export function containerName(info: ContainerInspectInfo): string {
  const name = (info.Name ?? "").replace(/^\//, "");
  return name !== "" ? name : (info.Id ?? "").slice(0, 12);
}

interface NamedValue {
  value: string;
  key: string;
}

function serviceName(info: ContainerInspectInfo, entry: PortEntry | undefined, c: PortCandidate, isGroup: boolean): NamedValue {
  const labels = info.Config?.Labels ?? {};
  const from = [SWARM_SERVICE_LABEL, COMPOSE_SERVICE_LABEL].find((l) => labels[l]);
  const base: NamedValue = entry
    ? { value: entry.value.trim(), key: entry.key }
    : from
      ? { value: labels[from]!, key: from }
      : { value: imageBasename(info.Config?.Image ?? ""), key: "Config.Image" };
  const value = isGroup && !entry?.fromPort ? `${base.value}-${c.port}` : base.value;
  if (value.length > MAX_NAME_LENGTH) {
    throw new MetadataRefusal(base.key, `service name ${quote(value)} is ${value.length} characters, at most ${MAX_NAME_LENGTH} allowed`);
  }
  if (!DNS_LABEL.test(value)) {
    throw new MetadataRefusal(base.key, `service name ${quote(value)} is not a DNS label (letters, digits, inner "-")`);
  }
  return { value, key: base.key };
}

function serviceTags(entry: PortEntry | undefined, opts: MappingOptions, c: PortCandidate): string[] {
  const sources: Array<[string, string[]]> = [
    [entry?.key ?? "", entry ? splitTags(entry.value) : []],
    ["--tags", opts.tags.map((t) => t.trim()).filter((t) => t !== "")],
    ["", c.protocol === "udp" ? ["udp"] : []],
  ];
  const tags: string[] = [];
  for (const [key, list] of sources) {
    for (const tag of list) {
      if (tag.length > MAX_TAG_LENGTH) {
        throw new MetadataRefusal(key, `tag ${quote(tag)} is ${tag.length} characters, at most ${MAX_TAG_LENGTH} allowed`);
      }
      if (CONTROL_CHARS.test(tag)) throw new MetadataRefusal(key, `tag ${quote(tag)} contains a control character`);
      if (!tags.includes(tag)) tags.push(tag);
    }
  }
  return tags;
}

type Attrs = ReadonlyMap<string, PortEntry>;

/** The registrator scheme: `<hostname>:<container-name>:<exposed-port>[:udp]`; `<hostname>:<container-name>` without a port. */
function defaultServiceId(info: ContainerInspectInfo, c: PortCandidate, opts: MappingOptions): string {
  const own = `${opts.hostname}${ID_SEPARATOR}${containerName(info)}`;
  return c.port === "" ? own : `${own}${ID_SEPARATOR}${c.port}${c.protocol === "udp" ? ":udp" : ""}`;
}

/** The service ID: the registrator scheme, or SERVICE_ID, which may only name this owner's namespace. */
function serviceId(attrs: Attrs, info: ContainerInspectInfo, c: PortCandidate, opts: MappingOptions): string {
  const e = attrs.get("id");
  if (!e) return defaultServiceId(info, c, opts);
  const id = e.value.trim();
  if (CONTROL_CHARS.test(id)) throw new MetadataRefusal(e.key, `service ID ${quote(id)} contains a control character`);
  if (id.includes(ID_SEPARATOR) && !id.startsWith(`${opts.hostname}${ID_SEPARATOR}`)) {
    throw new MetadataRefusal(e.key, `service ID ${quote(id)} names another owner's namespace (IDs with "${ID_SEPARATOR}" must start with "${opts.hostname}${ID_SEPARATOR}")`);
  }
  return id;
}

/** SERVICE_NETWORK must name an attached network in every mode, as documented. */
function checkNetwork(info: ContainerInspectInfo, e: PortEntry | undefined): void {
  if (!e || info.HostConfig?.NetworkMode === "host") return;
  chooseNetwork(Object.keys(info.NetworkSettings?.Networks ?? {}), e, undefined);
}

/** The SERVICE_* key behind each field of the instance, for log lines about a backend's refusal. */
function originKeys(attrs: Attrs, nameKey: string, meta: Record<string, string>, checks: readonly DeclaredCheck[]): Record<string, string> {
  const keys: Record<string, string> = { name: nameKey };
  for (const [field, attr] of [["id", "id"], ["tags", "tags"]] as const) {
    const e = attrs.get(attr);
    if (e) keys[field] = e.key;
  }
  for (const [k, e] of metaEntries(attrs)) keys[`meta.${k}`] = e.key;
  if (Object.keys(meta).length > 0) keys.meta = `${SERVICE_PREFIX}*`;
  const override = attrs.get("tag_override");
  if (override) keys.enableTagOverride = override.key;
  checks.forEach((c, n) => (keys[`checks.${n}`] = c.key));
  return keys;
}

/** The SERVICE_* key an instance field (`meta.version`, `tags.2`, `checks.0.target`) came from, else the field. */
export function originKey(origin: Origin | undefined, field: string | undefined): string {
  if (!field) return "instance";
  const keys = origin?.keys ?? {};
  if (keys[field]) return keys[field]!;
  const [head, n] = field.split(".");
  return keys[`${head}.${n}`] ?? keys[head!] ?? field;
}

interface Mapped {
  instance: Instance;
  keys: Record<string, string>;
  /** The ID is the default one (possibly with `@network`): no SERVICE_ID chose another. */
  defaultId: boolean;
}

/** The instances of one port: one, or one per network of SERVICE_NETWORKS (ID `<id>@<network>`, tagged, meta `network`). */
function mapPort(info: ContainerInspectInfo, md: ServiceMetadata, c: PortCandidate, isGroup: boolean, opts: MappingOptions): Mapped[] | undefined {
  const attrs = metadataForPort(md, c.port);
  if (boolOf(attrs.get("ignore"))) return undefined;
  const nameEntry = attrs.get("name");
  if (opts.explicit && !nameEntry) return undefined;

  const name = serviceName(info, nameEntry, c, isGroup);
  const choices = networkChoices(info, c, attrs, opts);
  const tags = serviceTags(attrs.get("tags"), opts, c);
  const meta = buildMeta(attrs);
  const id = serviceId(attrs, info, c, opts);
  const tagOverride = boolOf(attrs.get("tag_override"));

  const out: Mapped[] = [];
  for (const { entry, listed } of choices) {
    if (!listed) checkNetwork(info, entry);
    const endpoint = endpointFor(info, c, entry, opts);
    const checks = buildChecks(attrs, endpoint.address, endpoint.port, opts.ttlMs);
    const net = listed ? entry!.value : undefined;
    const instance: Instance = {
      id: net === undefined ? id : `${id}@${net}`,
      name: name.value,
      address: endpoint.address,
      port: endpoint.port,
      protocol: c.protocol,
      tags: net === undefined || tags.includes(net) ? tags : [...tags, net],
      meta: net === undefined ? meta : { ...meta, network: net },
      checks: checks.map((c) => c.check),
      health: healthOf(info),
      owner: opts.hostname,
      container: { id: info.Id, name: containerName(info) },
      ...(tagOverride === true ? { enableTagOverride: true } : {}),
    };
    const keys = originKeys(attrs, name.key, meta, checks);
    if (entry) keys.address = entry.key;
    if (net !== undefined) keys["meta.network"] = entry!.key;
    const problem = instanceProblem("portolan", instance);
    if (problem) throw new MetadataRefusal(originKey({ container: "", port: c.key, keys }, problem.key), `invalid ${problem.key ?? "instance"}: ${problem.reason}`);
    out.push({ instance, keys, defaultId: id === defaultServiceId(info, c, opts) });
  }
  return out;
}

/** Every service instance of one container, and every service that could not be mapped (with the key at fault). */
export function containerToServices(info: ContainerInspectInfo, opts: MappingOptions): MappingResult {
  const result: MappingResult = { instances: [], rejected: [], origins: new Map() };
  if (!isServing(info)) return result;
  const container = containerName(info);
  const md = readServiceMetadata(info.Config?.Env, info.Config?.Labels);
  const output = healthOutput(info);
  const { candidates, unsupported } = portCandidates(info);
  for (const port of unsupported) {
    result.rejected.push({ container, port, key: port, reason: `protocol ${port.split("/")[1]} is not supported (tcp and udp only)` });
  }
  let unexposed: PortCandidate | undefined;
  try {
    unexposed = unexposedCandidate(md, [...candidates.map((c) => c.key), ...unsupported]);
  } catch (err) {
    result.rejected.push({ container, ...refusalOf(err) });
  }
  let registering = unexposed ? [unexposed] : registeringPorts(info, candidates, opts);
  const isGroup = registering.length > 1;
  const max = opts.maxServices ?? DEFAULT_MAX_SERVICES;
  if (registering.length > max) {
    const first = registering[max]!.key;
    result.rejected.push({
      container,
      key: "--max-services",
      reason: `${registering.length} ports would register, at most ${max} per container: ports from ${first} on (${registering.length - max}) are not registered`,
    });
    registering = registering.slice(0, max);
  }
  for (const c of registering) {
    const port = c.key === "" ? undefined : c.key;
    let mapped: Mapped[] | undefined;
    try {
      mapped = mapPort(info, md, c, isGroup, opts);
    } catch (err) {
      result.rejected.push({ container, port, ...refusalOf(err) });
      continue;
    }
    for (const { instance: inst, keys, defaultId } of mapped ?? []) {
      if (result.origins.has(inst.id)) {
        const key = metadataForPort(md, c.port).get("id")?.key ?? "id";
        result.rejected.push({ container, port, key, reason: `service ID ${quote(inst.id)} is already used by another port` });
        continue;
      }
      result.origins.set(inst.id, { container, port: c.key, keys, defaultId, ...(output !== undefined && { healthOutput: output }) });
      result.instances.push(inst);
    }
  }
  return result;
}

/** The key and reason of a MetadataRefusal; anything else is a bug in the mapping, thrown on. */
function refusalOf(err: unknown): { key: string; reason: string } {
  if (!(err instanceof MetadataRefusal)) throw err;
  return { key: err.key, reason: err.reason };
}

/** The one log line for a rejection, e.g. `container web-1 port 80/tcp: SERVICE_NAME: … — service not registered`. */
export function describeRejection(r: Rejection): string {
  const where = r.port ? `container ${r.container} port ${r.port}` : `container ${r.container}`;
  const line = `${where}: ${r.key}: ${r.reason} — service not registered`;
  return line.replace(/[\r\n]+/g, " ");
}
