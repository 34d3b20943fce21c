// Shared by the Consul integration tests (consul.test.ts, consul-watch.test.ts).
import type { CatalogSnapshot, Instance } from "../../src/core/model.js";
import { consulAclTokens, TESTBED } from "./testbed.js";

/** Unique names per test file run, so concurrent runs on the shared agent never see each other's entries. */
export function runNames(label: string): { run: string; owner: string; token: string } {
  const run = `${label}${process.pid}${Date.now() % 100_000}`;
  return { run, owner: `itest-${run}`, token: `dummy-token-${run}-secret` };
}

export function makeInstance(names: { run: string; owner: string }, n: string, over: Partial<Instance> = {}): Instance {
  return {
    id: `${names.owner}:c${n}:80`,
    name: `pt${names.run}-${n}`,
    address: "127.0.0.1",
    port: 10_000 + Number(n.replace(/\D/g, "") || 1),
    protocol: "tcp",
    tags: ["t1", "t0"],
    meta: { team: "core", "x-y_z": "v" },
    checks: [],
    health: "passing",
    owner: names.owner,
    ...over,
  };
}

export function has(s: CatalogSnapshot, id: string, health: string): boolean {
  return s.instances.some((x) => x.id === id && x.health === health);
}

export async function consulGet<T>(path: string): Promise<T> {
  const res = await fetch(`http://${TESTBED.consul.host}:${TESTBED.consul.port}${path}`);
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

export async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await probe().catch(() => false);
    if (ok) return;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Consumes a watch in the background and lets a test wait for a snapshot matching a predicate. */
export class SnapshotRecorder {
  readonly all: CatalogSnapshot[] = [];
  private readonly ctl = new AbortController();
  private readonly done: Promise<void>;
  private notify: (() => void) | undefined;
  private next = 0;

  constructor(watch: (signal: AbortSignal) => AsyncIterable<CatalogSnapshot>) {
    const source = watch(this.ctl.signal);
    this.done = (async () => {
      for await (const s of source) {
        this.all.push(s);
        this.notify?.();
      }
    })();
  }

  /** The first snapshot not consumed by an earlier waitFor that satisfies `pred`. */
  async waitFor(pred: (s: CatalogSnapshot) => boolean, timeoutMs: number): Promise<CatalogSnapshot> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      while (this.next < this.all.length) {
        const s = this.all[this.next++]!;
        if (pred(s)) return s;
      }
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no matching snapshot within ${timeoutMs} ms (last version ${this.all.at(-1)?.version})`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.notify = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  /** Aborts the watch; resolves when its iterator has ended (it must end on abort). */
  async stop(): Promise<void> {
    this.ctl.abort();
    await this.done;
  }
}

/** The ACL agent's HTTP API with the management token (test set-up: policies, tokens, revocation). */
export async function aclApi<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`http://${TESTBED.consulAcl.host}:${TESTBED.consulAcl.port}${path}`, {
    method,
    headers: { "x-consul-token": consulAclTokens().management },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export interface TestToken {
  accessor: string;
  secret: string;
}

/** A token of the ACL agent with these rules (a policy of its own), or with the test bed's registrator policy. */
export async function createToken(label: string, rules?: string, ids?: TestToken): Promise<TestToken> {
  let policy = consulAclTokens().policy;
  if (rules !== undefined) {
    policy = `pt-${label}-${process.pid}-${Date.now() % 100_000}`;
    await aclApi("PUT", "/v1/acl/policy", { Name: policy, Rules: rules });
  }
  const t = await aclApi<{ AccessorID: string; SecretID: string }>("PUT", "/v1/acl/token", {
    Description: `portolan test ${label}`,
    Policies: [{ Name: policy }],
    ...(ids && { AccessorID: ids.accessor, SecretID: ids.secret }),
  });
  return { accessor: t.AccessorID, secret: t.SecretID };
}

/** Revokes a token: every request made with it is refused from now on ("ACL not found"). */
export async function revokeToken(t: TestToken): Promise<void> {
  await aclApi("DELETE", `/v1/acl/token/${t.accessor}`);
}
