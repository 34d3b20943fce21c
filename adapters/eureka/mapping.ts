// Pure: portolan's Instance <-> Eureka's InstanceInfo.
// - app: the service name upper-cased (Eureka's convention; clients look apps up case-insensitively); vipAddress and
//   secureVipAddress: the name as given, which is how it reads back (Spring's clients resolve a service by its vipAddress too).
// - hostName and ipAddr: the address; port: the instance's port, enabled (disabled for an instance without one);
//   securePort: disabled.
// - status: health passing -> UP, warning (Docker's "starting") -> STARTING, critical -> DOWN. Read back UP -> passing,
//   STARTING -> warning, DOWN, OUT_OF_SERVICE (an operator's override) and UNKNOWN -> critical.
// - metadata: the instance's meta as is, plus portolan_owner, portolan_tags (JSON), portolan_checks (JSON, when any),
//   portolan_protocol (udp only), portolan_container_id and _name: a Spring client sees the meta as its metadata.
// - leaseInfo: the renewal interval and lease duration in seconds.
import type { Health, Instance } from "../../src/core/model.js";
import { parseChecks, parseInstance } from "../../src/core/model.js";
import type { EurekaInstanceInfo, EurekaStatus } from "./types.js";

export const META = {
  owner: "portolan_owner",
  tags: "portolan_tags",
  checks: "portolan_checks",
  protocol: "portolan_protocol",
  containerId: "portolan_container_id",
  containerName: "portolan_container_name",
} as const;

export const DATA_CENTER = { "@class": "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo", name: "MyOwn" } as const;

const TO_STATUS: Record<Health, EurekaStatus> = { passing: "UP", warning: "STARTING", critical: "DOWN" };

export function toStatus(h: Health): EurekaStatus {
  return TO_STATUS[h];
}

export function toHealth(status: string): Health {
  return status === "UP" ? "passing" : status === "STARTING" ? "warning" : "critical";
}

/** Eureka's app name for a service name. */
export function appName(name: string): string {
  return name.toUpperCase();
}

export interface Lease {
  renewMs: number;
  leaseMs: number;
}

export function toInstanceInfo(i: Instance, lease: Lease, lastDirtyTimestamp: number): EurekaInstanceInfo {
  const metadata: Record<string, string> = { ...i.meta, [META.owner]: i.owner, [META.tags]: JSON.stringify(i.tags) };
  if (i.checks.length > 0) metadata[META.checks] = JSON.stringify(i.checks);
  if (i.protocol === "udp") metadata[META.protocol] = "udp";
  if (i.container) {
    metadata[META.containerId] = i.container.id;
    metadata[META.containerName] = i.container.name;
  }
  return {
    instanceId: i.id,
    app: appName(i.name),
    hostName: i.address,
    ipAddr: i.address,
    vipAddress: i.name,
    secureVipAddress: i.name,
    status: toStatus(i.health),
    // An instance without a port (a worker) has its port disabled: Eureka clients then offer it no port.
    port: i.port === null ? { $: 0, "@enabled": "false" } : { $: i.port, "@enabled": "true" },
    securePort: { $: 443, "@enabled": "false" },
    dataCenterInfo: { ...DATA_CENTER },
    leaseInfo: { renewalIntervalInSecs: lease.renewMs / 1000, durationInSecs: lease.leaseMs / 1000 },
    metadata,
    lastDirtyTimestamp,
  };
}

const enabled = (p: EurekaInstanceInfo["port"]) => p !== undefined && String(p["@enabled"]) === "true" && p.$ > 0;
const Tags = (x: unknown): string[] | undefined => (Array.isArray(x) && x.every((t) => typeof t === "string") ? x : undefined);
const Checks = (x: unknown) => {
  const r = parseChecks(x);
  return r.ok ? r.value : undefined;
};

/** `text` parsed as JSON and read by `read`; undefined when it is absent, not JSON, or not what `read` takes. */
function json<T>(text: string | undefined, read: (x: unknown) => T | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    return read(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/**
 * The instance an InstanceInfo describes, or undefined when it does not fit the model (no enabled port, a name that
 * is no DNS label): entries other clients registered are read as well as portolan's own (owner: their hostName).
 */
export function fromInstanceInfo(info: EurekaInstanceInfo): Instance | undefined {
  const md = info.metadata ?? {};
  const owned = (md[META.owner] ?? "") !== "";
  const vip = info.vipAddress ?? "";
  const name = vip.toUpperCase() === info.app.toUpperCase() ? vip : info.app.toLowerCase();
  // No enabled port: portolan's own entry is a port-less instance (null); another client's does not fit the model.
  const port = enabled(info.port) ? info.port!.$ : enabled(info.securePort) ? info.securePort!.$ : owned ? null : 0;
  const meta = owned ? Object.fromEntries(Object.entries(md).filter(([k]) => !Object.values<string>(META).includes(k))) : { ...md };
  const instance: Instance = {
    id: info.instanceId,
    name,
    address: info.ipAddr || info.hostName,
    port,
    protocol: owned && md[META.protocol] === "udp" ? "udp" : "tcp",
    tags: (owned && json(md[META.tags], Tags)) || [],
    meta,
    checks: (owned && json(md[META.checks], Checks)) || [],
    health: toHealth(info.status),
    owner: owned ? md[META.owner]! : info.hostName,
  };
  const [cid, cname] = [md[META.containerId], md[META.containerName]];
  if (owned && cid !== undefined && cname !== undefined) instance.container = { id: cid, name: cname };
  const registered = Number(info.leaseInfo?.registrationTimestamp);
  if (registered > 0) instance.registeredAt = new Date(registered).toISOString();
  return parseInstance(instance).ok ? instance : undefined;
}
