// Which ports of a container register, and at which address (pure).
//
// Decisions (documented in DESIGN.md terms):
// - Candidate ports are Config.ExposedPorts ∪ NetworkSettings.Ports ∪ HostConfig.PortBindings keys, sorted by
//   port number then protocol (tcp before udp), so the result never depends on JSON key order.
// - Published mode (default): a port registers only with a host port (NetworkSettings.Ports, else a concrete
//   HostConfig.PortBindings entry). Of several bindings, the first by rank wins: specific IPv4, wildcard IPv4
//   (0.0.0.0 or empty), specific IPv6, wildcard IPv6 (::). Address = `--ip` when given (it always wins, as in
//   registrator), else the binding's HostIp; a wildcard binding falls back to loopback (127.0.0.1, or ::1 for
//   an IPv6-only wildcard) — registrator resolves the hostname instead, which on Debian is usually 127.0.1.1;
//   a pure mapper cannot resolve, so fleets should pass `--ip`.
// - Internal mode (`--internal`): every candidate port registers at the container IP and exposed port on one
//   network chosen deterministically: SERVICE_NETWORK (per port too), else `--network` (each must be attached,
//   else the service is rejected naming it), else "bridge" if attached, else the alphabetically first network.
//   IPv4 when the network has one, else its GlobalIPv6Address.
// - NetworkMode "container:<id>": registrator inspects that other container; a pure mapper cannot, so with
//   `--internal` the port is rejected naming HostConfig.NetworkMode (register the network-owning container).
// - Host network (NetworkMode "host"): Docker publishes nothing, the container's exposed ports are the host's;
//   in both modes every exposed port registers at `--ip` (else 127.0.0.1) and the exposed port.
// - Not replicated: registrator's overlay hack (user-defined NetworkMode -> container IP paired with the host
//   port), which advertises an address/port pair that does not exist; use `--internal` for such networks.
// - `--use-ip-from-label`: a label holding an IP (optionally with "/prefix") overrides the address.
import { isIPv6 } from "../core/host-port.js";
import type { ContainerInspectInfo } from "dockerode";
import type { PortEntry } from "./metadata.js";
import { MetadataRefusal, quote } from "./refusal.js";

export interface Binding {
  hostIp: string;
  hostPort: string;
}

export interface PortCandidate {
  /** Exposed port number as a decimal string, e.g. "80". */
  port: string;
  protocol: "tcp" | "udp";
  /** Docker's key, e.g. "53/udp". */
  key: string;
  /** Published bindings with a concrete host port. */
  bindings: Binding[];
  /**
   * Not a port Docker publishes: SERVICE_PORT's, or none at all (`port` "") for a container that exposes none.
   * Registered at the container address in every mode (at `--ip` with the host network).
   */
  unpublished?: true;
}

export interface AddressOptions {
  hostIp?: string;
  internal: boolean;
  network?: string;
  useIpFromLabel?: string;
}

export interface Endpoint {
  address: string;
  /** Null for a container registered without a port. */
  port: number | null;
}

type RawBindings = Record<string, Array<{ HostIp?: string; HostPort?: string }> | null | undefined>;

function concreteBindings(list: Array<{ HostIp?: string; HostPort?: string }> | null | undefined): Binding[] {
  return (list ?? [])
    .map((b) => ({ hostIp: b.HostIp ?? "", hostPort: b.HostPort ?? "" }))
    .filter((b) => /^\d+$/.test(b.hostPort) && Number(b.hostPort) > 0);
}

/** Splits "80/tcp"; protocol defaults to tcp as in Docker. Undefined for malformed keys. */
function parsePortKey(key: string): { port: string; protocol: string } | undefined {
  const m = /^(\d+)(?:\/([a-z]+))?$/i.exec(key.trim());
  if (!m) return undefined;
  return { port: String(Number(m[1]!)), protocol: (m[2] ?? "tcp").toLowerCase() };
}

export function isHostNetwork(info: ContainerInspectInfo): boolean {
  return info.HostConfig?.NetworkMode === "host";
}

/** Label Docker puts on every container of a swarm-mode task. */
export const SWARM_TASK_LABEL = "com.docker.swarm.task.id";
/** The swarm routing mesh's network: never a task's address unless asked for. */
const SWARM_INGRESS = "ingress";

/**
 * A swarm-mode task's container: its ports are published by the routing mesh, not on it, so it registers like
 * `--internal` (its overlay address and exposed ports), on its first network other than "ingress" by default.
 */
export function isSwarmTask(info: ContainerInspectInfo): boolean {
  return typeof info.Config?.Labels?.[SWARM_TASK_LABEL] === "string";
}

/**
 * All ports the container exposes or publishes, deterministic order. Ports of protocols other than tcp/udp
 * (sctp) are returned in `unsupported` so the caller can report them.
 */
export function portCandidates(info: ContainerInspectInfo): { candidates: PortCandidate[]; unsupported: string[] } {
  const published = (info.NetworkSettings?.Ports ?? {}) as RawBindings;
  const configured = (info.HostConfig?.PortBindings ?? {}) as RawBindings;
  const keys = new Set([...Object.keys(info.Config?.ExposedPorts ?? {}), ...Object.keys(published), ...Object.keys(configured)]);
  const byKey = new Map<string, PortCandidate>();
  const unsupported = new Set<string>();
  for (const raw of keys) {
    const parsed = parsePortKey(raw);
    if (!parsed || Number(parsed.port) < 1 || Number(parsed.port) > 65535) continue;
    const key = `${parsed.port}/${parsed.protocol}`;
    if (parsed.protocol !== "tcp" && parsed.protocol !== "udp") {
      unsupported.add(key);
      continue;
    }
    const prev = byKey.get(key);
    const live = concreteBindings(published[raw]);
    const bindings = live.length > 0 ? live : concreteBindings(configured[raw]);
    if (!prev || prev.bindings.length === 0) byKey.set(key, { port: parsed.port, protocol: parsed.protocol, key, bindings });
  }
  const candidates = [...byKey.values()].sort(
    (a, b) => Number(a.port) - Number(b.port) || (a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : 0),
  );
  return { candidates, unsupported: [...unsupported].sort() };
}

/** The ports that register under the options (before SERVICE_IGNORE / --explicit, as registrator counts them). */
export function registeringPorts(info: ContainerInspectInfo, candidates: PortCandidate[], opts: AddressOptions): PortCandidate[] {
  if (opts.internal || isHostNetwork(info) || isSwarmTask(info)) return candidates;
  return candidates.filter((c) => c.bindings.length > 0);
}

const WILDCARDS = new Set(["", "0.0.0.0", "::"]);

function bindingRank(b: Binding): number {
  const v6 = isIPv6(b.hostIp);
  const wildcard = WILDCARDS.has(b.hostIp);
  return (v6 ? 2 : 0) + (wildcard ? 1 : 0);
}

/** Picks a binding by rank (stable for equal ranks). */
export function chooseBinding(bindings: readonly Binding[]): Binding | undefined {
  return [...bindings].sort((a, b) => bindingRank(a) - bindingRank(b))[0];
}

/** Where a published port is reached from other hosts. */
function publishedEndpoint(c: PortCandidate, opts: AddressOptions): Endpoint {
  const b = chooseBinding(c.bindings);
  if (!b) throw new MetadataRefusal(`NetworkSettings.Ports["${c.key}"]`, "port is not published on the host");
  const fallback = b.hostIp === "::" ? "::1" : "127.0.0.1";
  const address = opts.hostIp ?? (WILDCARDS.has(b.hostIp) ? fallback : b.hostIp);
  return { address, port: Number(b.hostPort) };
}

/**
 * The network a container address is taken from, else a MetadataRefusal naming the key at fault: SERVICE_NETWORK, else
 * `--network`, each of which must be attached (a container on neither is rejected, not registered at an address on
 * some other network that the operator did not ask for); else "bridge", else the first attached by name.
 */
export function chooseNetwork(
  networks: readonly string[],
  requested: PortEntry | undefined,
  flagNetwork: string | undefined,
  notByDefault?: string,
): string {
  const attached = [...networks].sort();
  const wanted = requested ?? (flagNetwork !== undefined ? { key: "--network", value: flagNetwork } : undefined);
  if (wanted) {
    if (attached.includes(wanted.value)) return wanted.value;
    const list = attached.length > 0 ? attached.join(", ") : "none";
    throw new MetadataRefusal(wanted.key, `network ${quote(wanted.value)} is not attached to the container (attached: ${list})`);
  }
  if (attached.includes("bridge")) return "bridge";
  const first = attached.find((n) => n !== notByDefault);
  if (first === undefined) throw new MetadataRefusal("NetworkSettings.Networks", "container has no network to take an address from");
  return first;
}

function containerEndpoint(info: ContainerInspectInfo, c: PortCandidate, requested: PortEntry | undefined, opts: AddressOptions): Endpoint {
  const networks = info.NetworkSettings?.Networks ?? {};
  const mode = info.HostConfig?.NetworkMode ?? "";
  if (mode.startsWith("container:") && Object.keys(networks).length === 0) {
    // registrator inspects the other container here; a pure mapper cannot, so say what to do instead.
    throw new MetadataRefusal("HostConfig.NetworkMode", `container shares the network of ${quote(mode.slice(10, 22))}; register that container instead`);
  }
  const chosen = chooseNetwork(Object.keys(networks), requested, opts.network, isSwarmTask(info) ? SWARM_INGRESS : undefined);
  const net = networks[chosen];
  const address = net?.IPAddress || net?.GlobalIPv6Address;
  if (!address) throw new MetadataRefusal(`NetworkSettings.Networks["${chosen}"]`, "network has no IPv4 or IPv6 address");
  return { address, port: portNumber(c) };
}

/** The candidate's port as a number, null for NO_PORT. */
function portNumber(c: PortCandidate): number | null {
  return c.port === "" ? null : Number(c.port);
}

function labelAddress(info: ContainerInspectInfo, label: string | undefined): string | undefined {
  if (label === undefined) return undefined;
  const value = info.Config?.Labels?.[label]?.trim();
  if (!value) return undefined;
  const slash = value.lastIndexOf("/");
  return slash >= 0 ? value.slice(0, slash) : value;
}

/** Whether a candidate registers a container address (not a published port's or the host network's). */
export function usesContainerAddress(info: ContainerInspectInfo, c: PortCandidate, opts: AddressOptions): boolean {
  return !isHostNetwork(info) && (opts.internal || c.unpublished === true || isSwarmTask(info));
}

/** One network a candidate registers on: `listed` when SERVICE_NETWORKS named it (the instance carries the network). */
export interface NetworkChoice {
  /** The SERVICE_NETWORK(S) entry naming the network, undefined for the default choice. */
  entry: PortEntry | undefined;
  listed: boolean;
}

/**
 * The networks one candidate registers on: each of SERVICE_NETWORKS (one instance per network, in the order given),
 * else SERVICE_NETWORK or the default choice (one instance). The port-specific key beats the container-wide one;
 * both at one level, an empty list, or SERVICE_NETWORKS where a host address registers is refused (MetadataRefusal) naming it.
 */
export function networkChoices(info: ContainerInspectInfo, c: PortCandidate, attrs: ReadonlyMap<string, PortEntry>, opts: AddressOptions): NetworkChoice[] {
  const one = attrs.get("network");
  const many = attrs.get("networks");
  if (!many || (one?.fromPort === true && !many.fromPort)) return [{ entry: one, listed: false }];
  if (one && one.fromPort === many.fromPort) throw new MetadataRefusal(many.key, `${one.key} is set too: set one of them`);
  if (!usesContainerAddress(info, c, opts)) {
    throw new MetadataRefusal(many.key, "this service registers a host address (a published port or the host network), the same on every network: SERVICE_NETWORKS needs --internal or a container that publishes no port");
  }
  const names = [...new Set(many.value.split(",").map((n) => n.trim()))].filter((n) => n !== "");
  if (names.length === 0) throw new MetadataRefusal(many.key, `${quote(many.value)} names no network`);
  return names.map((value) => ({ entry: { ...many, value }, listed: true }));
}

/** The address and port one candidate registers at. `requestedNetwork` is the port's SERVICE_NETWORK entry. */
export function endpointFor(
  info: ContainerInspectInfo,
  c: PortCandidate,
  requestedNetwork: PortEntry | undefined,
  opts: AddressOptions,
): Endpoint {
  let ep: Endpoint;
  if (isHostNetwork(info)) ep = { address: opts.hostIp ?? "127.0.0.1", port: portNumber(c) };
  else if (usesContainerAddress(info, c, opts)) ep = containerEndpoint(info, c, requestedNetwork, opts);
  else ep = publishedEndpoint(c, opts);
  const fromLabel = labelAddress(info, opts.useIpFromLabel);
  return fromLabel ? { ...ep, address: fromLabel } : ep;
}
