// What a reading process asks of Eureka (docs/backends.md "What a reading process costs the backend"): `portolan catalog
// --watch` on the test bed's basic-auth server (no other test writes there) behind a counting proxy. Idle: one
// delta per poll, nothing else; one instance added elsewhere: the delta that shows it and one whole read.
import { afterAll, describe, expect, it } from "vitest";
import { CountingProxy } from "../../bench/counting-proxy.js";
import { EurekaRegistry } from "../../adapters/eureka/index.js";
import { startCli, stopCli, type Running } from "./cli.js";
import { eventually } from "./docker.js";
import { eurekaAuthPassword } from "./eureka-support.js";
import { TESTBED } from "./testbed.js";

const [host, port] = TESTBED.eureka.auth.split(":");
const proxy = new CountingProxy({ host: host!, port: Number(port) });
let reader: Running | undefined;
let writer: EurekaRegistry | undefined;

afterAll(async () => {
  await stopCli(reader);
  await writer?.close();
  await proxy.stop();
});

describe("eureka: a reader's requests", () => {
  it("0_idle: one delta per poll; a change: that delta and one whole read", async () => {
    const auth = { EUREKA_USERNAME: "portolan", EUREKA_PASSWORD: eurekaAuthPassword() };
    const via = await proxy.start();
    const POLL_S = 2;
    reader = startCli(["catalog", "--watch", "--json", "--registry", `eureka://${via}/eureka?poll=${POLL_S}s`], auth);
    let out = "";
    reader.proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    await eventually("the first document", () => out.includes("\n"), 30_000, 50);
    proxy.take();

    const IDLE_S = 20;
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    const idle = proxy.take();
    const polls = IDLE_S / POLL_S;
    expect(Object.keys(idle.byPath)).toEqual(["GET /eureka/apps/delta"]);
    expect(idle.total.requests).toBeGreaterThanOrEqual(polls - 2);
    expect(idle.total.requests).toBeLessThanOrEqual(polls + 1);

    writer = new EurekaRegistry({ servers: [{ host: host!, port: Number(port) }], path: "/eureka", username: auth.EUREKA_USERNAME, password: auth.EUREKA_PASSWORD });
    const id = `cost-${process.pid}:web:80`;
    const t0 = Date.now();
    await writer.register({ id, name: `cost${process.pid}`, address: "127.0.0.1", port: 9, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner: `cost-${process.pid}` });
    await eventually("the reader shows it", () => out.includes(`cost${process.pid}`), 30_000, 50);
    const seenMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 3 * POLL_S * 1000));
    const change = proxy.take();
    expect(change.byPath["GET /eureka/apps"]?.requests).toBe(1);
    expect(Object.keys(change.byPath).sort()).toEqual(["GET /eureka/apps", "GET /eureka/apps/delta"]);
    await writer.deregister({ id, name: `cost${process.pid}` });
    console.log(JSON.stringify({
      idle: { seconds: IDLE_S, poll: POLL_S, requests: idle.total.requests, bytes: idle.total.bytes },
      change: { seenMs, wholeReads: change.byPath["GET /eureka/apps"]?.requests, wholeBytes: change.byPath["GET /eureka/apps"]?.bytes, deltas: change.byPath["GET /eureka/apps/delta"]?.requests, deltaBytes: change.byPath["GET /eureka/apps/delta"]?.bytes },
    }));
  }, 120_000);
});
