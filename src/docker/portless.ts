// A container that exposes no port (pure): `SERVICE_PORT=N` gives it one, and `SERVICE_NAME` alone registers it
// without a port (workers, batch jobs, sidecars). Either way it registers at its container address (the network
// SERVICE_NETWORK or --network picks), or at `--ip` with the host network: Docker publishes nothing for it.
import type { PortCandidate } from "./address.js";
import type { ServiceMetadata } from "./metadata.js";
import { MetadataRefusal, quote } from "./refusal.js";

/** `N`, `N/tcp` or `N/udp`. */
const PORT_SPEC = /^(\d{1,6})(?:\/([a-z]+))?$/i;

/** The candidate standing for a container registered without a port: `port` and `key` are "". */
export const NO_PORT: PortCandidate = Object.freeze({ port: "", protocol: "tcp", key: "", bindings: [], unpublished: true });

/**
 * The one candidate of a container whose Docker ports (`exposed`, keys like "80/tcp") are none: SERVICE_PORT's, else
 * NO_PORT when it declares SERVICE_NAME, else none. A SERVICE_PORT that is no port (0, a word, > 65535, sctp), or
 * one on a container that exposes ports (they register as ports: SERVICE_PORT would be a second guess), is
 * refused (MetadataRefusal naming SERVICE_PORT); the container's exposed ports still register.
 */
export function unexposedCandidate(md: ServiceMetadata, exposed: readonly string[]): PortCandidate | undefined {
  const e = md.generic.get("port");
  if (!e) return exposed.length === 0 && md.generic.has("name") ? NO_PORT : undefined;
  if (exposed.length > 0) {
    const list = exposed.slice(0, 5).join(", ") + (exposed.length > 5 ? ", …" : "");
    throw new MetadataRefusal(e.key, `the container exposes ${list}; SERVICE_PORT is only for a container that exposes no port (use SERVICE_<port>_* keys on exposed ports)`);
  }
  const m = PORT_SPEC.exec(e.value.trim());
  const n = m ? Number(m[1]) : NaN;
  const protocol = (m?.[2] ?? "tcp").toLowerCase();
  if (n === 0) throw new MetadataRefusal(e.key, "port 0 is no port: leave SERVICE_PORT unset to register the container without a port");
  if (!m || n > 65535 || (protocol !== "tcp" && protocol !== "udp")) {
    throw new MetadataRefusal(e.key, `${quote(e.value)} is not a port: 1-65535, optionally followed by /tcp or /udp`);
  }
  return { port: String(n), protocol, key: `${n}/${protocol}`, bindings: [], unpublished: true };
}
