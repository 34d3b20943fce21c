// listOwned's read side: which entries under the base path belong to `owner`, as ZooKeeper holds them now.
import type { Instance } from "../../src/core/model.js";
import { DNS_LABEL, isPassing } from "../../src/core/model.js";
import { mapBounded } from "../../src/core/util.js";
import type { Decoded } from "./codec.js";
import { decodeCurator, decodeNerve } from "./codec.js";
import type { ZooKeeperFormat } from "./options.js";
import type { Client, NodeData } from "./ops.js";
import { Exception, getChildren, getData, ownerHex, sessionHex, zkCode } from "./ops.js";
import { curatorDir, nerveDir, nerveChildId } from "./paths.js";
import type { OwnedRecord } from "./registry.js";

/** Meta keys added to entries this process cannot vouch for, so they never equal a desired instance and get re-registered. */
export const META_EPHEMERAL_OWNER = "zookeeper.ephemeralOwner";
export const META_DUPLICATES = "zookeeper.duplicates";

export interface ScanOptions {
  base: string;
  format: ZooKeeperFormat;
  owner: string;
  records: ReadonlyMap<string, OwnedRecord>;
}

async function childrenOrNone(c: Client, path: string): Promise<string[]> {
  try {
    return await getChildren(c, path);
  } catch (e) {
    if (zkCode(e) === Exception.NO_NODE) return [];
    throw e;
  }
}

async function dataOrNone(c: Client, path: string): Promise<NodeData | undefined> {
  try {
    return await getData(c, path);
  } catch (e) {
    if (zkCode(e) === Exception.NO_NODE) return undefined;
    throw e;
  }
}

/**
 * An entry this process wrote, unchanged and held by the current session, comes back exactly as registered;
 * anything else of `owner` (a previous run's node, another session's, one changed behind our back, duplicates)
 * comes back decoded and marked, so the registrator replaces it.
 */
function judge(nodes: { node: NodeData; decoded: Decoded }[], rec: OwnedRecord | undefined, session: string, owner: string): Instance | undefined {
  // A node names its owner in its labels or its ID's `<owner>:` prefix; a custom ID in Curator's format (no labels)
  // names none, so a node this session holds for one of our records is ours too.
  const mineHere = (n: { node: NodeData }) => rec !== undefined && rec.instance.owner === owner && ownerHex(n.node.stat) === session;
  const ours = nodes.filter(
    (n): n is { node: NodeData; decoded: Extract<Decoded, { ok: true }> } => n.decoded.ok && (n.decoded.instance.owner === owner || mineHere(n)),
  );
  const first = ours[0];
  if (!first) return undefined;
  const holder = ownerHex(first.node.stat);
  if (rec && nodes.length === 1 && isPassing(rec.instance) && holder === session && first.node.data.equals(rec.data)) {
    return structuredClone(rec.instance);
  }
  const meta: Record<string, string> = { ...first.decoded.instance.meta, [META_EPHEMERAL_OWNER]: `0x${holder}` };
  if (nodes.length > 1) meta[META_DUPLICATES] = String(nodes.length);
  return { ...first.decoded.instance, owner, meta };
}

/** Service directories read at once by scanOwned. */
export const SCAN_CONCURRENCY = 16;

export async function scanOwned(c: Client, o: ScanOptions): Promise<Map<string, Instance>> {
  const session = sessionHex(c);
  const found = new Map<string, Instance>();
  const names = (await childrenOrNone(c, o.base)).filter((n) => DNS_LABEL.test(n));
  const candidate = (name: string, id: string) => id.startsWith(`${o.owner}:`) || o.records.has(`${name}/${id}`);
  // Bounded: hundreds of service directories read at once would hold every reply in memory at the same time.
  await mapBounded(names, SCAN_CONCURRENCY, async (name) => {
    const dir = o.format === "curator" ? curatorDir(o.base, name) : nerveDir(o.base, name);
    const groups = new Map<string, string[]>();
    for (const child of await childrenOrNone(c, dir)) {
      const id = o.format === "curator" ? child : nerveChildId(child);
      if (id === undefined || !candidate(name, id)) continue;
      groups.set(id, [...(groups.get(id) ?? []), `${dir}/${child}`]);
    }
    await Promise.all(
      [...groups].map(async ([id, paths]) => {
        const nodes = [];
        for (const path of paths.sort()) {
          const node = await dataOrNone(c, path);
          if (!node) continue;
          const decoded = o.format === "curator" ? decodeCurator(name, node.data) : decodeNerve(name, id, node.data);
          nodes.push({ node, decoded });
        }
        const key = `${name}/${id}`;
        const inst = judge(nodes, o.records.get(key), session, o.owner);
        if (inst) found.set(key, inst);
      }),
    );
  });
  return found;
}
