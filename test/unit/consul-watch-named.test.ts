// watchNamed: only the named services are read and watched (one blocking query each), as consul-template does.
import { describe, expect, it } from "vitest";
import { BackendAuthError, BackendUnavailableError } from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/log.js";
import { nextWake } from "../support/wake.js";
import { FakeClock } from "../support/fake-clock.js";
import type { CatalogSnapshot } from "../../src/core/model.js";
import { watchNamed, type NamedSource } from "../../adapters/consul/watch-named.js";
import type { Blocking } from "../../adapters/consul/client.js";
import type { ConsulHealthEntry } from "../../adapters/consul/types.js";

/** Per-service indexes, blocking like Consul's /v1/health/service/<name>?index=. */
class FakeServices implements NamedSource {
  private index = 10;
  readonly at = new Map<string, number>();
  readonly entries = new Map<string, ConsulHealthEntry[]>();
  readonly calls: string[] = [];
  private waiters: (() => void)[] = [];
  /** X-Consul-Default-Acl-Policy of every answer. */
  aclDefault: string | undefined = "allow";
  /** Every read is refused with this (Consul's 403). */
  refuse: BackendAuthError | undefined;
  readonly probes: boolean[] = [];

  add(name: string, id: string, port: number, status = "passing"): void {
    this.index++;
    const list = this.entries.get(name) ?? [];
    list.push({
      Node: { Node: "n1", Address: "10.0.0.1" },
      Service: { ID: id, Service: name, Tags: [], Meta: {}, Address: "", Port: port },
      Checks: [{ CheckID: `c:${id}`, Status: status, ServiceID: id, ServiceName: name, Node: "n1", ModifyIndex: this.index }],
    });
    this.entries.set(name, list);
    this.at.set(name, this.index);
    for (const w of this.waiters.splice(0)) w();
  }

  /** As Consul: `passingOnly` (?passing) leaves out every entry with a check that is not passing. */
  async healthService(name: string, signal: AbortSignal, index = 0, _waitMs = 0, passingOnly = false, probe = false): Promise<Blocking<ConsulHealthEntry[]>> {
    this.calls.push(`${name}@${index}${passingOnly ? "?passing" : ""}`);
    this.probes.push(probe);
    if (this.refuse) throw this.refuse;
    while (index > 0 && (this.at.get(name) ?? 1) <= index && !signal.aborted) await nextWake(this.waiters, signal);
    const all = this.entries.get(name) ?? [];
    const body = passingOnly ? all.filter((e) => e.Checks.every((c) => c.Status === "passing")) : all;
    return { index: this.at.get(name) ?? 1, body, ...(this.aclDefault !== undefined && { aclDefault: this.aclDefault }) };
  }
}

const opts = { waitMs: 1000, logger: silentLogger(), backoff: { initialMs: 1, maxMs: 5, jitter: 0 } };
const ids = (s: CatalogSnapshot) => s.instances.map((i) => i.id);

describe("watchNamed", () => {
  it("0_reads_and_watches_only_the_named_services; another service's change costs nothing", async () => {
    const fake = new FakeServices();
    for (let n = 0; n < 20; n++) fake.add(`s${n}`, `i${n}`, 1000 + n);
    const ctl = new AbortController();
    const it = watchNamed(fake, ["s3", "s5"], opts, ctl.signal)[Symbol.asyncIterator]();
    expect(ids((await it.next()).value as CatalogSnapshot)).toEqual(["i3", "i5"]);
    await new Promise((r) => setImmediate(r));
    const started = fake.calls.splice(0);
    expect(started.filter((c) => c.endsWith("@0")).sort()).toEqual(["s3@0", "s5@0"]); // start-up: 2 reads
    fake.add("s9", "x9", 2000); // not used
    fake.add("s3", "x3", 2001); // used
    expect(ids((await it.next()).value as CatalogSnapshot)).toEqual(["i3", "x3", "i5"]);
    await new Promise((r) => setImmediate(r));
    // The used service's long poll answered and was re-armed; s9's change asked nothing of anyone.
    expect(fake.calls.every((c) => c.startsWith("s3@") || c.startsWith("s5@"))).toBe(true);
    ctl.abort();
    expect((await it.next()).done).toBe(true);
  });

  it("2_passing_only: every read and long poll asks Consul for passing entries only, as consul-template does", async () => {
    const fake = new FakeServices();
    fake.add("s1", "a", 1);
    fake.add("s1", "b", 2, "critical");
    const ctl = new AbortController();
    const it = watchNamed(fake, ["s1"], { ...opts, passingOnly: true }, ctl.signal)[Symbol.asyncIterator]();
    expect(ids((await it.next()).value as CatalogSnapshot)).toEqual(["a"]);
    fake.add("s1", "c", 3);
    expect(ids((await it.next()).value as CatalogSnapshot)).toEqual(["a", "c"]);
    await new Promise((r) => setImmediate(r));
    expect(fake.calls.length).toBeGreaterThanOrEqual(3); // the read, the answered long poll, the re-armed one
    expect(fake.calls.every((c) => c.endsWith("?passing"))).toBe(true);
    ctl.abort();
    expect((await it.next()).done).toBe(true);
  });

  it("1_no_names: an empty catalog at once, nothing read", async () => {
    const fake = new FakeServices();
    fake.add("s0", "i0", 1);
    const ctl = new AbortController();
    const it = watchNamed(fake, [], opts, ctl.signal)[Symbol.asyncIterator]();
    expect(ids((await it.next()).value as CatalogSnapshot)).toEqual([]);
    expect(fake.calls).toEqual([]);
    ctl.abort();
  });
});

/** An access check that counts how often it is asked and refuses or allows as told. */
function accessCheck(refused: boolean, tokenGiven = false) {
  const c = {
    asked: 0,
    tokenGiven,
    confirm: async () => {
      c.asked++;
      if (refused) throw new BackendAuthError({ backend: "consul", message: "no ACL token (CONSUL_HTTP_TOKEN is not set)", permission: "service:read" });
    },
  };
  return c;
}

describe("watchNamed with the reader's access check folded into its first reads", () => {
  it("0_a_first_read_refused_ends_the_watch_with_the_refusal; it is neither retried nor reported as a running failure", async () => {
    const fake = new FakeServices();
    fake.refuse = new BackendAuthError({ backend: "consul", message: "the ACL token (CONSUL_HTTP_TOKEN) is unknown to this Consul (ACL not found)" });
    const check = accessCheck(false);
    const it = watchNamed(fake, ["s1", "s2"], { ...opts, access: check }, new AbortController().signal)[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toBeInstanceOf(BackendAuthError);
    expect(fake.calls.sort()).toEqual(["s1@0", "s2@0"]);
    expect(fake.probes).toEqual([true, true]);
    expect(check.asked).toBe(0);
  });

  // [case, ACL default policy of the answers, a token given, the used service has instances, check asked, refused]
  const cases: Array<[string, string | undefined, boolean, boolean, number, boolean]> = [
    ["instances_read_prove_access_no_check", "deny", true, true, 0, false],
    ["empty_under_default_deny_asks_the_check_which_refuses", "deny", false, false, 1, true],
    ["empty_under_default_deny_asks_the_check_which_allows", "deny", false, false, 1, false],
    ["empty_with_a_token_under_default_allow_asks_the_check", "allow", true, false, 1, true],
    ["empty_without_acls_or_token_no_check", "allow", false, false, 0, false],
    ["empty_from_an_agent_without_the_header_asks_the_check", undefined, false, false, 1, false],
  ];
  cases.forEach(([name, aclDefault, token, hasInstances, asked, refused], i) =>
    it(`${i + 1}_${name}`, async () => {
      const fake = new FakeServices();
      fake.aclDefault = aclDefault;
      if (hasInstances) fake.add("s1", "a", 1);
      const check = accessCheck(refused, token);
      const ctl = new AbortController();
      const it = watchNamed(fake, ["s1"], { ...opts, access: check }, ctl.signal)[Symbol.asyncIterator]();
      if (refused) await expect(it.next()).rejects.toBeInstanceOf(BackendAuthError);
      else expect(ids((await it.next()).value as CatalogSnapshot)).toEqual(hasInstances ? ["a"] : []);
      expect(check.asked).toBe(asked);
      expect(fake.calls.filter((c) => c.endsWith("@0"))).toEqual(["s1@0"]);
      ctl.abort();
    }),
  );

  it("7_without_the_access_option a refused read is retried (a running reader's token revoked later)", async () => {
    const fake = new FakeServices();
    fake.refuse = new BackendAuthError({ backend: "consul", message: "refused" });
    const ctl = new AbortController();
    const it = watchNamed(fake, ["s1"], opts, ctl.signal)[Symbol.asyncIterator]();
    const next = it.next();
    while (fake.calls.length < 3) await new Promise((r) => setTimeout(r, 2));
    fake.refuse = undefined;
    fake.add("s1", "a", 1);
    expect(ids((await next).value as CatalogSnapshot)).toEqual(["a"]);
    expect(fake.probes.every((p) => !p)).toBe(true);
    ctl.abort();
  });
});

describe("watchNamed while the agent is down", () => {
  // A fake clock moves every sleep: the polls' backoff (here from 10 s, up to 60 s) and the probe's 2 s.
  async function outage(ping: boolean) {
    const clock = new FakeClock();
    const fake = new FakeServices();
    fake.add("s1", "a", 1);
    let down = false;
    let pings = 0;
    const refused = () => new BackendUnavailableError({ backend: "consul", message: "connection refused" });
    const read = fake.healthService.bind(fake);
    fake.healthService = async (...a: Parameters<FakeServices["healthService"]>) => {
      if (down) throw refused();
      const r = await read(...a);
      if (down) throw refused(); // a long poll the agent's stop cut
      return r;
    };
    const o = { ...opts, clock, backoff: { initialMs: 10_000, maxMs: 60_000, jitter: 0 }, ...(ping && { ping: async () => {
      pings++;
      if (down) throw refused();
    } }) };
    const ctl = new AbortController();
    const it = watchNamed(fake, ["s1"], o, ctl.signal)[Symbol.asyncIterator]();
    expect(ids((await it.next()).value as CatalogSnapshot)).toEqual(["a"]);
    down = true;
    fake.add("s1", "b", 2); // wakes the long poll, whose next read fails: backoff 10 s, then 20 s, 40 s...
    await clock.advance(45_000);
    down = false;
    const back = clock.now();
    const next = it.next();
    await clock.untilSettled("the new entry after the agent's return", next, 120_000, 100);
    expect(ids((await next).value as CatalogSnapshot)).toEqual(["a", "b"]);
    ctl.abort();
    await clock.advance(1_000);
    return { lagMs: clock.now() - back, pings, pending: clock.pending };
  }

  it("8_the_polls_go_again_within_a_probe_of_the_agent's_return, not after their backoff; nothing is probed after the watch ends", async () => {
    const woken = await outage(true);
    expect(woken.lagMs).toBeLessThanOrEqual(2_100);
    // One probe per 2 s while the polls failed, not one per failed poll or more.
    expect(woken.pings).toBeLessThanOrEqual(45_000 / 2_000 + 2);
    expect(woken.pending).toBe(0);
    // Without a probe the same outage waits out the backoff (this is what the probe saves).
    const slept = await outage(false);
    expect(slept.lagMs).toBeGreaterThan(10_000);
  });
});
