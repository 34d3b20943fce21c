// Registry backed by a Consul agent's HTTP API (consul://HOST:PORT, consul+https://…).
import { silentLogger, type Logger } from "../../src/core/log.js";
import type { CatalogSnapshot, Health, Instance, InstanceRef } from "../../src/core/model.js";
import { BackendAuthError, BackendUnavailableError, InstanceRejectedError } from "../../src/core/errors.js";
import type { RegisterOptions, Registry, RegistryAccess, WatchScope } from "../../src/core/registry.js";
import { heldBy, ID_SEPARATOR, instanceProblem } from "../../src/core/validate.js";
import type { RefusalStore } from "../../src/core/refusals.js";
import { ConsulRefusals } from "./refusals.js";
import { ConsulClient, type AclQuestion, type ConsulConnection } from "./client.js";
import { ConsulOptionsError, ConsulRequestError, ConsulValidationError } from "./errors.js";
import { healthCheckId, isOwnedBy, META, ownedFilters, toInstance, toRegistration } from "./mapping.js";
import type { ConsulServiceRegistration } from "./types.js";
import { DEFAULT_SERVICE_POLLS, watchCatalog } from "./watch.js";
import { watchNamed } from "./watch-named.js";
import { HeldEntries, isUnknownCheck } from "./held.js";
import { AgentSync } from "./agent-sync.js";

/** host, port, secure, token, ca, cert, key (see ConsulConnection) plus: */
export interface ConsulOptions extends ConsulConnection {
  logger?: Logger;
  /** `wait` of the watch's blocking queries. */
  watchWaitMs?: number;
  /** TTL of each instance's "Docker health" check; see DEFAULT_HEALTH_TTL_MS. */
  healthTtlMs?: number;
  /** Timeout of every non-blocking request. */
  requestTimeoutMs?: number;
  /** Most per-service long polls of a whole-catalog watch (watch.ts); more services: the locator. */
  watchServicePolls?: number;
}

export const DEFAULT_WATCH_WAIT_MS = 60_000;
/**
 * Ten minutes. The registrator refreshes each instance through setHealth() on every Docker health event and
 * on its periodic resync (which should run at least every TTL/4, and at least as often as the shortest
 * user TTL check). A registrator that is merely restarting or briefly stuck on a slow Docker daemon must
 * not turn a fleet of healthy services critical (an outage caused by the bookkeeper), so the TTL is
 * generous; a registrator that is really gone lets its entries go critical — out of DNS — within ten
 * minutes, which bounds how long a dead container can stay advertised.
 */
export const DEFAULT_HEALTH_TTL_MS = 600_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export class ConsulRegistry implements Registry {
  readonly kind = "consul";
  private readonly client: ConsulClient;
  private readonly logger: Logger;
  private readonly waitMs: number;
  private readonly servicePolls: number;
  private readonly healthTtlMs: number;
  /** The registrator refreshes every instance's health check this often: a quarter of its TTL. */
  readonly healthRefreshMs: number;
  private readonly closing = new AbortController();
  private readonly tokenGiven: boolean;
  /** What this process registered here, heartbeated again at once when the agent restarts (held.ts). */
  readonly held: HeldEntries;
  /** A watch of named services checks the credentials in its first reads (WatchScope.checkAccess). */
  readonly watchChecksAccess = true;
  private refusalStore: ConsulRefusals | undefined;
  /** Whether our writes reached the servers' catalog (agent-sync.ts). */
  private readonly agentSync: AgentSync;

  constructor(opts: ConsulOptions) {
    const base = opts.logger ?? silentLogger();
    this.logger = base.bindings().component === "consul" ? base : base.child({ component: "consul" });
    this.waitMs = opts.watchWaitMs ?? DEFAULT_WATCH_WAIT_MS;
    this.healthTtlMs = opts.healthTtlMs ?? DEFAULT_HEALTH_TTL_MS;
    this.healthRefreshMs = this.healthTtlMs / 4;
    this.tokenGiven = Boolean(opts.token);
    for (const [name, v] of Object.entries({ watchWaitMs: this.waitMs, healthTtlMs: this.healthTtlMs })) {
      if (!Number.isInteger(v) || v < 1000) throw new ConsulOptionsError({ option: name, message: "must be an integer >= 1000 (ms)" });
    }
    this.servicePolls = opts.watchServicePolls ?? DEFAULT_SERVICE_POLLS;
    if (!Number.isInteger(this.servicePolls) || this.servicePolls < 0) {
      throw new ConsulOptionsError({ option: "watchServicePolls", message: "must be an integer >= 0 (0: never one long poll per service)" });
    }
    if ((opts.cert === undefined) !== (opts.key === undefined)) {
      throw new ConsulOptionsError({ option: "cert/key", message: "a client certificate needs both cert and key" });
    }
    this.held = new HeldEntries({
      // Back once it answers with a leader: until then its answers to check updates can hang (seen: 10 s).
      answers: () => this.ping(this.closing.signal),
      heartbeat: (id, status, output) => this.setHealth({ id, name: "" }, status, output),
      logger: this.logger,
      signal: this.closing.signal,
    });
    this.client = new ConsulClient({
      ...opts,
      secure: opts.secure ?? opts.ca !== undefined,
      requestTimeoutMs: opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      logger: this.logger,
      onAgentGone: () => this.held.agentGone(),
    });
    this.agentSync = new AgentSync({
      catalogIds: (node, owner) => this.client.catalogNodeServiceIds(node, ownedFilters(owner).services),
      rewrite: async (id) => {
        const again = this.held.registrationOf(id, healthCheckId(id));
        if (again) await this.client.registerService(again);
        return again !== undefined;
      },
      logger: this.logger,
    });
  }

  /** Refusals in KV `portolan/refusals/<host>` (refusals.ts). */
  get refusals(): RefusalStore {
    this.refusalStore ??= new ConsulRefusals(this.client, { waitMs: this.waitMs, closing: this.closing.signal, logger: this.logger });
    return this.refusalStore;
  }

  get authFailures(): number {
    return this.client.auth.count;
  }

  /**
   * Asks Consul whether the token may do what `access` needs on every name (a registrator registers whatever
   * services containers declare): write = service:write; read = service:read and node:read (without them Consul
   * silently filters the catalog). ACLs disabled: nothing to check.
   */
  async checkAccess(access: RegistryAccess): Promise<void> {
    const questions: AclQuestion[] =
      access === "write"
        ? [{ Resource: "service", Access: "write", Segment: "" }]
        : [
            { Resource: "service", Access: "read", Segment: "" },
            { Resource: "node", Access: "read", Segment: "" },
          ];
    let allowed: boolean[] | undefined;
    try {
      allowed = await this.client.authorize(questions);
    } catch (err) {
      // A Consul without this (internal) endpoint cannot tell: the first refused request will say it instead.
      if (err instanceof ConsulRequestError) {
        this.logger.debug({ err: err.message }, "permissions not checked at start-up");
        return;
      }
      throw err;
    }
    const missing = questions.filter((_, i) => allowed && !allowed[i]).map((q) => `${q.Resource}:${q.Access}`);
    if (missing.length === 0) return;
    const who = this.tokenGiven ? "the ACL token (CONSUL_HTTP_TOKEN)" : "no ACL token (CONSUL_HTTP_TOKEN is not set) and the anonymous token";
    const rules = missing.map((p) => `${p.split(":")[0]}_prefix "" { policy = "${p.split(":")[1]}" }`).join(", ");
    throw new BackendAuthError({
      backend: "consul",
      permission: missing.join(","),
      message: `${who} lacks permission ${missing.map((p) => `'${p}'`).join(" and ")} on every name (policy rules needed: ${rules})`,
    });
  }

  validate(instance: Instance): void {
    this.registration(instance);
  }

  private registration(instance: Instance): ConsulServiceRegistration {
    const problem = instanceProblem(this.kind, instance);
    if (problem) throw problem;
    const r = toRegistration(instance, { healthTtlMs: this.healthTtlMs });
    if (!r.ok) throw new ConsulValidationError({ serviceId: instance.id, problems: r.problems });
    return r.registration;
  }

  /**
   * Writes only over an absent entry or one `instance.owner` holds (portolan_owner meta). The read and the write
   * are two requests: two registrators racing for one free ID on one agent can both pass the read, and the later
   * write wins; every other case (an entry that exists) is decided by the read. An ID the caller computed as the
   * owner's default (`opts.defaultId`, under the `<owner>:` prefix) is written in one request: only that owner
   * writes under its prefix (portolan refuses a SERVICE_ID in another owner's), so there is no holder to ask about.
   */
  async register(instance: Instance, opts?: RegisterOptions): Promise<void> {
    const registration = this.registration(instance);
    try {
      if (!(opts?.defaultId === true && instance.id.startsWith(`${instance.owner}${ID_SEPARATOR}`))) {
        const held = await this.holder(instance.id);
        if (held && held.owner !== instance.owner) {
          throw new InstanceRejectedError({ backend: this.kind, instanceId: instance.id, key: "id", reason: heldBy(held) });
        }
      }
      this.agentSync.wrote();
      await this.client.registerService(registration);
      this.held.registered(registration, instance.health);
    } catch (e) {
      // 400 to the owner read or the write: the agent refused this ID or registration as invalid (a limit portolan
      // does not know yet): permanent.
      if (e instanceof ConsulRequestError && e.status === 400) {
        throw new InstanceRejectedError({ backend: this.kind, instanceId: instance.id, reason: `agent said: ${e.consulMessage}`, cause: e });
      }
      throw e;
    }
    this.logger.debug({ id: instance.id, name: instance.name }, "registered");
  }

  /** Who holds the service `id` on the agent now (owner "" for a service portolan did not register). */
  private async holder(id: string): Promise<{ owner: string; container?: { name: string } } | undefined> {
    const found = await this.client.agentService(id);
    if (!found) return undefined;
    const meta = found.Meta ?? {};
    const name = meta[META.containerName];
    return { owner: meta[META.owner] ?? "", ...(name !== undefined ? { container: { name } } : {}) };
  }

  /**
   * Removes the entry if `ref.owner` (when given) holds it: one owner read, then the removal. An ID under the owner's
   * `<owner>:` prefix needs no read (as register): only that owner writes there.
   */
  async deregister(ref: InstanceRef): Promise<void> {
    // IDs never registered now (".", "..", "a/b") may be left by older versions or others: the client escapes
    // every path segment ("." as "%2E"), so they are still removed.
    if (ref.owner !== undefined && !ref.id.startsWith(`${ref.owner}${ID_SEPARATOR}`)) {
      const held = await this.holder(ref.id);
      if (!held || held.owner !== ref.owner) return;
    }
    this.held.removed(ref.id);
    this.agentSync.wrote();
    await this.client.deregisterService(ref.id);
    this.logger.debug({ id: ref.id, name: ref.name }, "deregistered");
  }

  /**
   * Sets the "Docker health" TTL check and heartbeats every user TTL check of the service with the same status. An
   * entry this process registered that the agent no longer knows (404: it restarted without its data) is registered
   * again at once, at `status`.
   */
  async setHealth(ref: InstanceRef, status: Health, output: string): Promise<void> {
    const own = healthCheckId(ref.id);
    let checks: Awaited<ReturnType<ConsulClient["agentChecks"]>>;
    try {
      [, checks] = await Promise.all([this.client.updateCheck(ref.id, own, status, output), this.client.agentChecks({ serviceId: ref.id })]);
    } catch (e) {
      const again = isUnknownCheck(e) ? this.held.registrationOf(ref.id, own, status) : undefined;
      if (!again) throw e;
      this.logger.info({ id: ref.id }, "the agent no longer knows this entry (restarted without its data): registering it again");
      await this.client.registerService(again);
      this.held.registered(again, status);
      return;
    }
    const ttl = Object.values(checks).filter((c) => c.ServiceID === ref.id && c.Type === "ttl" && c.CheckID !== own);
    await Promise.all(ttl.map((c) => this.client.updateCheck(ref.id, c.CheckID, status, output)));
    this.held.beaten(ref.id, status, output);
  }

  async listOwned(owner: string): Promise<Instance[]> {
    // Services first, then checks: a service registered between two concurrent reads could show up without its
    // health check and read as critical. The agent adds a service and its checks at once, so a checks read issued
    // after the services read always holds the checks of every service that read saw. The agent filters both: only
    // `owner`'s services and their checks come back, not everything registered on the agent (nothing owned: no checks read).
    const services = await this.client.agentServices(ownedFilters(owner).services);
    const ids = Object.values(services).map((s) => s.ID);
    const allChecks = ids.length === 0 ? [] : Object.values(await this.client.agentChecks({ filter: ownedFilters(owner, ids).checks }));
    const owned = Object.values(services).filter((s) => isOwnedBy(s, owner));
    // The agent's checks name its node: only then can its catalog entries be compared.
    await this.agentSync.check(owner, owned.map((s) => s.ID), allChecks.find((c) => c.Node)?.Node);
    return owned.map((s) => toInstance(s, allChecks, { nodeName: "", health: "ttl" })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** GET /v1/status/leader: the agent answers and its cluster has a leader. Constant cost, no ACL needed. */
  async ping(signal?: AbortSignal): Promise<void> {
    const leader = await this.client.statusLeader(signal);
    if (!leader) throw new BackendUnavailableError({ backend: this.kind, message: "the agent answers but its cluster has no leader" });
  }

  watch(signal?: AbortSignal, scope?: WatchScope): AsyncIterable<CatalogSnapshot> {
    const stop = signal ? AbortSignal.any([signal, this.closing.signal]) : this.closing.signal;
    // ping: while the watch's polls fail, the agent is probed, and they go again as soon as it answers.
    const opts = { waitMs: this.waitMs, logger: this.logger, ping: (s: AbortSignal) => this.ping(s) };
    if (!scope?.services) return watchCatalog(this.client, { ...opts, servicePolls: this.servicePolls }, stop);
    const access = scope.checkAccess ? { tokenGiven: this.tokenGiven, confirm: () => this.checkAccess("read") } : undefined;
    return watchNamed(this.client, scope.services, { ...opts, passingOnly: scope.passingOnly === true, ...(access && { access }) }, stop);
  }

  async close(): Promise<void> {
    this.closing.abort();
    // Let the watch loops see the abort before their sockets go away.
    await new Promise((r) => setImmediate(r));
    this.client.destroy();
  }
}

export function createConsulRegistry(opts: ConsulOptions): Registry {
  return new ConsulRegistry(opts);
}

export type { ConsulConnection } from "./client.js";
export { ConsulOptionsError, ConsulRequestError, ConsulValidationError } from "./errors.js";
