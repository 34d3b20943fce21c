// Backend-independent rules every instance must meet before any adapter writes it. Adapters call
// `instanceProblem()` first, then check their own limits; every refusal is an InstanceRejectedError
// naming the field at fault (`tags.2`, `meta.version`, `checks.0.target`, `id`).
import { InstanceRejectedError } from "./errors.js";
import { CONTROL_CHARS } from "./control-chars.js";
import { parseInstance, type Instance } from "./model.js";

export { CONTROL_CHARS };

/**
 * Metadata keys that look like portolan's own bookkeeping (`portolan_owner`, `portolan.owner`, `Portolan-x`):
 * reserved in every backend, so a container can never forge or shadow them.
 */
export const RESERVED_META_KEY = /^portolan($|[._-])/i;

/** The owner/ID separator: `<owner>:<container>:<port>`. An owner may not contain it. */
export const ID_SEPARATOR = ":";

/** Why `owner` cannot own entries (`--hostname`), or undefined when it can. */
export function ownerProblem(owner: string): string | undefined {
  if (owner.trim() === "") return "must not be empty";
  if (owner.includes(ID_SEPARATOR)) return `must not contain the ID separator "${ID_SEPARATOR}"`;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(owner)) return "must be 1-253 letters, digits, '.', '_' or '-', starting with a letter or digit";
  return undefined;
}

function reject(backend: string, i: Instance, key: string, reason: string): InstanceRejectedError {
  return new InstanceRejectedError({ backend, instanceId: String(i?.id ?? ""), key, reason });
}

/** The first backend-independent problem of `i`, as the error an adapter throws, or undefined. */
export function instanceProblem(backend: string, i: Instance): InstanceRejectedError | undefined {
  const parsed = parseInstance(i);
  if (!parsed.ok) return reject(backend, i, parsed.path, parsed.message);
  const texts: Array<[string, string]> = [
    ["id", i.id],
    ["address", i.address],
    ["owner", i.owner],
    ...i.tags.map((t, n): [string, string] => [`tags.${n}`, t]),
    ...Object.entries(i.meta).flatMap(([k, v]): Array<[string, string]> => [[`meta.${k}`, k], [`meta.${k}`, v]]),
    ...i.checks.map((c, n): [string, string] => [`checks.${n}.target`, c.target ?? ""]),
  ];
  for (const [key, text] of texts) {
    if (CONTROL_CHARS.test(text)) return reject(backend, i, key, "contains a control character");
  }
  const ownerIssue = ownerProblem(i.owner);
  if (ownerIssue) return reject(backend, i, "owner", ownerIssue);
  for (const k of Object.keys(i.meta)) {
    if (RESERVED_META_KEY.test(k)) return reject(backend, i, `meta.${k}`, `key ${JSON.stringify(k)} is reserved for portolan`);
  }
  return undefined;
}

/** The reason an ID is refused because another owner holds it, naming that owner and its container when known. */
export function heldBy(holder: { owner: string; container?: { name: string } }): string {
  const c = holder.container ? ` (container ${JSON.stringify(holder.container.name)})` : "";
  return `ID is held by owner ${JSON.stringify(holder.owner)}${c}; the first holder keeps it`;
}
