// One grammar for "where an instance is": `host:port`, `[v6]:port`, and for an instance without a port the address
// alone (`host`, `[v6]`). No zod here: the renderer and the page bundle import it.

/** `host:port` with IPv6 addresses bracketed; the address alone (still bracketed if IPv6) when `port` is null. */
export function joinHostPort(address: string, port: number | null): string {
  const host = address.includes(":") ? `[${address}]` : address;
  return port === null ? host : `${host}:${port}`;
}
