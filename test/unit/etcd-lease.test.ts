// The lease loop on a fake clock: keep-alives every third of the TTL, a retry soon after a failure, and a new
// lease (with onRenewed, so every entry is written again) when etcd says the old one is gone.
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/log.js";
import { LeaseKeeper, type LeaseOps } from "../../adapters/etcd/lease.js";
import { FakeClock, settle } from "../support/fake-clock.js";

class FakeLeases implements LeaseOps {
  grants: string[] = [];
  keepAlives: string[] = [];
  /** Lease IDs etcd still has. */
  alive = new Set<string>();
  down = false;
  async leaseGrant(ttlS: number) {
    if (this.down) throw new Error("ECONNREFUSED");
    const id = String(100 + this.grants.length);
    this.grants.push(id);
    this.alive.add(id);
    return { id, ttlS };
  }
  async leaseKeepAlive(id: string) {
    this.keepAlives.push(id);
    if (this.down) throw new Error("ECONNREFUSED");
    return this.alive.has(id) ? 15 : 0;
  }
}

function setup() {
  const clock = new FakeClock();
  const ops = new FakeLeases();
  let renewed = 0;
  const keeper = new LeaseKeeper(ops, 15, clock, silentLogger(), () => renewed++);
  return { clock, ops, keeper, renewed: () => renewed };
}

describe("LeaseKeeper", () => {
  it("0_one grant for every caller; keep-alives every TTL/3, none before the first grant", async () => {
    const { clock, ops, keeper } = setup();
    await clock.advance(60_000);
    expect(ops.keepAlives).toEqual([]);
    const [a, b] = await Promise.all([keeper.current(), keeper.current()]);
    expect(a).toBe("100");
    expect(b).toBe("100");
    await clock.advance(4_999);
    expect(ops.keepAlives).toEqual([]);
    await clock.advance(1);
    expect(ops.keepAlives).toEqual(["100"]);
    await clock.advance(10_000);
    expect(ops.keepAlives).toEqual(["100", "100", "100"]);
    expect(ops.grants).toEqual(["100"]);
    await keeper.stop();
  });

  it("1_a failed keep-alive is retried after 1 s, not after TTL/3", async () => {
    const { clock, ops, keeper } = setup();
    await keeper.current();
    ops.down = true;
    await clock.advance(5_000);
    expect(ops.keepAlives).toHaveLength(1);
    await clock.advance(1_000);
    expect(ops.keepAlives).toHaveLength(2);
    ops.down = false;
    await clock.advance(1_000);
    expect(ops.keepAlives).toHaveLength(3);
    await clock.advance(4_999);
    expect(ops.keepAlives).toHaveLength(3);
    await keeper.stop();
  });

  it("2_a lease etcd no longer has is replaced and onRenewed is called once", async () => {
    const { clock, ops, keeper, renewed } = setup();
    await keeper.current();
    ops.alive.clear(); // expired while etcd was out of reach, or revoked
    await clock.advance(5_000);
    await settle();
    expect(ops.grants).toEqual(["100", "101"]);
    expect(keeper.held).toBe("101");
    expect(renewed()).toBe(1);
    await clock.advance(5_000);
    expect(ops.keepAlives.at(-1)).toBe("101");
    expect(renewed()).toBe(1);
    await keeper.stop();
  });

  it("3_forget() after a refused write: the next current() grants anew and onRenewed runs", async () => {
    const { ops, keeper, renewed } = setup();
    await keeper.current();
    keeper.forget("999"); // not ours: nothing happens
    expect(await keeper.current()).toBe("100");
    keeper.forget("100");
    expect(await keeper.current()).toBe("101");
    expect(renewed()).toBe(1);
    expect(ops.grants).toHaveLength(2);
    await keeper.stop();
  });

  it("4_stop() ends the loop: no timer left, the lease is not revoked", async () => {
    const { clock, ops, keeper } = setup();
    await keeper.current();
    await keeper.stop();
    expect(clock.pending).toBe(0);
    await clock.advance(60_000);
    expect(ops.keepAlives).toEqual([]);
    expect(ops.alive.has("100")).toBe(true);
  });
});
