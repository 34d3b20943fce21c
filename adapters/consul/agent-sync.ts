// Whether what this process wrote to its agent reached the servers' catalog.
//
// A Consul agent answers a registration or a removal from its local state and copies it to the servers afterwards
// (anti-entropy). When that copy fails (no cluster leader during an election, a server restarting), the agent logs
// "failed to sync changes" and retries only at its next full sync: one to two minutes later, unless another change
// on the agent comes first. Meanwhile the catalog still lists a stopped container as passing (or lacks a new one)
// while the agent's own API, which the registrator reads, looks right.
//
// So after writes, the registrator's resync (listOwned) also reads this node's entries of the owner from a server
// (GET /v1/catalog/node-services/<node>?stale, the owner's filter): one read per resync, and only when this process
// wrote since the two last agreed; idle, nothing. Where they differ, the agent is asked to sync again by writing
// one of its own entries unchanged: Consul keeps an identical service in sync and its checks' status, and any
// change starts a partial sync of everything pending. A difference seen twice in a row is logged once; agreement is
// logged when it returns. A node with none of the owner's entries left has nothing to rewrite: its agent's full
// sync removes what is pending. A token that may not read the node (node:read: Consul then answers with no node)
// turns the check off, with one line.
import { BackendAuthError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";

export interface AgentSyncDeps {
  /** IDs of the owner's entries the servers list for `node` (any server may answer); undefined: the node is not visible. */
  catalogIds: (node: string, owner: string) => Promise<string[] | undefined>;
  /** Writes `id` to the agent again, unchanged; false when this process does not hold it. */
  rewrite: (id: string) => Promise<boolean>;
  logger: Logger;
}

export class AgentSync {
  /** Written since the catalog last agreed with the agent. */
  private pending = false;
  private off = false;
  /** IDs that differed at the last check (a difference seen twice is logged). */
  private differed = new Set<string>();
  private told = false;

  constructor(private readonly deps: AgentSyncDeps) {}

  wrote(): void {
    this.pending = true;
  }

  /**
   * After listOwned read the agent: `local` are the owner's IDs there, `node` the agent's node name (undefined when
   * unknown: no check read). Never throws: a failed read leaves the check for the next resync.
   */
  async check(owner: string, local: readonly string[], node: string | undefined): Promise<void> {
    if (!this.pending || this.off || node === undefined) return;
    let remote: string[] | undefined;
    try {
      remote = await this.deps.catalogIds(node, owner);
    } catch (err) {
      if (!(err instanceof BackendAuthError)) {
        this.deps.logger.debug({ err: (err as Error).message }, "catalog read of this node failed; checked again at the next resync");
        return;
      }
    }
    if (remote === undefined) {
      // Consul answers a token without node:read with an empty node (or refuses it): nothing to compare, ever.
      this.off = true;
      this.deps.logger.info({ node }, "the ACL token may not read this node in the catalog (node:read): whether the agent copied our writes to its servers is not checked");
      return;
    }
    const here = new Set(local);
    const there = new Set(remote);
    const diff = [...local.filter((id) => !there.has(id)), ...remote.filter((id) => !here.has(id))].sort();
    if (diff.length === 0) {
      this.pending = false;
      this.differed.clear();
      if (this.told) this.deps.logger.info("the agent's entries reached its servers again");
      this.told = false;
      return;
    }
    const again = diff.filter((id) => this.differed.has(id));
    this.differed = new Set(diff);
    let rewrote: string | undefined;
    for (const id of local) {
      if (await this.deps.rewrite(id).catch(() => false)) {
        rewrote = id;
        break;
      }
    }
    if (again.length > 0 && !this.told) {
      this.told = true;
      this.deps.logger.warn(
        { node, differ: again.length, example: again[0], ...(rewrote !== undefined && { rewrote }) },
        rewrote !== undefined
          ? "the agent has not copied some of our writes to its servers since the last resync (its log says \"failed to sync\"): asked it to sync again"
          : "the agent has not copied some of our writes to its servers since the last resync (its log says \"failed to sync\"); none of our entries is left to rewrite: its next full sync will",
      );
    }
  }
}
