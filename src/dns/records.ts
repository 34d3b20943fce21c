// Resource records as plain data (what the answer builder returns and the encoder writes), and their
// zone-file text (what tests and logs compare). Names are lower-case, absolute, without the trailing dot.

export type RecordData =
  | { type: "A"; address: string }
  | { type: "AAAA"; address: string }
  | { type: "SRV"; priority: number; weight: number; port: number; target: string }
  | { type: "PTR"; target: string }
  | { type: "NS"; target: string }
  | { type: "SOA"; mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number };

export type ResourceRecord = { name: string; ttl: number } & RecordData;

/** `name. ttl IN TYPE data` with single spaces, names absolute (trailing dot). */
export function zoneText(rr: ResourceRecord): string {
  const head = `${rr.name}. ${rr.ttl} IN ${rr.type}`;
  switch (rr.type) {
    case "A":
    case "AAAA":
      return `${head} ${rr.address}`;
    case "SRV":
      return `${head} ${rr.priority} ${rr.weight} ${rr.port} ${rr.target}.`;
    case "PTR":
    case "NS":
      return `${head} ${rr.target}.`;
    case "SOA":
      return `${head} ${rr.mname}. ${rr.rname}. ${rr.serial} ${rr.refresh} ${rr.retry} ${rr.expire} ${rr.minimum}`;
  }
}
