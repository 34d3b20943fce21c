// A SERVICE_* setting (or a container property) the mapping cannot use. Each step of the mapping throws it; the
// mapping catches it per port (containerToServices in mapping.ts) and reports one Rejection naming `key`.

export class MetadataRefusal extends Error {
  override name = "MetadataRefusal";
  constructor(
    /** The key to name in the log line (`SERVICE_80_NAME`, `--ttl`, `NetworkSettings.Networks`). */
    readonly key: string,
    readonly reason: string,
  ) {
    super(`${key}: ${reason}`);
  }
}

/** A value as it appears in a reason: JSON-quoted (so newlines cannot split a log line), cut at 80 characters. */
export function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
}
