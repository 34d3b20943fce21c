// `portolan catalog` flags before and after `service` / `serve`, as real processes against the test bed's Consul:
// each flag does the same in both positions (the parse-level table is test/unit/catalog-cli-flags.test.ts).
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_USAGE } from "../../src/core/exit-codes.js";
import { get, startServing, stopProcess } from "./catalog-support.js";
import { runCli, type Running } from "./cli.js";
import { TESTBED } from "./testbed.js";

const CONSUL = `http://${TESTBED.consul.host}:${TESTBED.consul.port}`;
const URI = `consul://${TESTBED.consul.host}:${TESTBED.consul.port}`;
const name = `flagpos${process.pid}`;
const ids = [`${name}-blue`, `${name}-green`];

async function consul(path: string, body?: object): Promise<void> {
  const r = await fetch(`${CONSUL}${path}`, { method: "PUT", body: body ? JSON.stringify(body) : undefined });
  if (r.status !== 200) throw new Error(`consul ${path}: HTTP ${r.status} ${await r.text()}`);
}

beforeAll(async () => {
  await consul("/v1/agent/service/register", { ID: ids[0], Name: name, Address: "127.0.0.1", Port: 1001, Tags: ["blue"] });
  await consul("/v1/agent/service/register", { ID: ids[1], Name: name, Address: "127.0.0.1", Port: 1002, Tags: ["green"] });
});
afterAll(async () => {
  for (const id of ids) await consul(`/v1/agent/service/deregister/${id}`);
});

describe("catalog service: each flag before and after `service`", () => {
  // What the flags select, checked on the output: the registry (else the default portolan:// is read and nothing
  // answers), JSON (else a table), the tag filter (else both instances).
  const cases: Array<{ name: string; flags: string[]; check: (stdout: string) => void }> = [
    { name: "registry", flags: ["--registry", URI, "--timeout", "20s"], check: (out) => expect(out).toMatch(new RegExp(`^${ids[0]} `, "m")) },
    {
      name: "json",
      flags: ["--registry", URI, "--json"],
      check: (out) => expect((JSON.parse(out) as { instances: { id: string }[] }).instances.map((i) => i.id)).toEqual(ids),
    },
    {
      name: "tag",
      flags: ["--registry", URI, "--json", "--tag", "green"],
      check: (out) => expect((JSON.parse(out) as { instances: { id: string }[] }).instances.map((i) => i.id)).toEqual([ids[1]]),
    },
  ];
  for (const [i, c] of cases.entries()) {
    for (const [position, args] of [["before", ["catalog", ...c.flags, "service", name]], ["after", ["catalog", "service", name, ...c.flags]]] as const) {
      it(`${i}_${c.name}_${position}`, () => {
        const r = runCli([...args], {}, 30_000);
        expect(r.code, r.stderr).toBe(0);
        c.check(r.stdout);
      });
    }
  }

  it("3_a_flag_serve_does_not_take_is_refused_before_serve", () => {
    const r = runCli(["catalog", "--json", "serve", "--registry", URI, "--listen", "127.0.0.1:0"]);
    expect([r.code, r.stdout]).toEqual([EXIT_USAGE, ""]);
    expect(r.stderr).toContain("--json");
  });
});

describe("catalog serve: --registry and --listen before `serve`", () => {
  let serve: Running | undefined;
  afterAll(() => stopProcess(serve));

  it("0_serves_the_registry_given_before_serve", async () => {
    const base = "http://127.0.0.1:18781";
    serve = await startServing(base, ["catalog", "--registry", URI, "--listen", "127.0.0.1:18781", "serve", "--log-format", "json"]);
    const body = (await get(`${base}/v1/services/${name}`)).json<{ instances: { id: string }[] }>();
    expect(body.instances.map((i) => i.id)).toEqual(ids);
  });
});

describe("catalog serve: a taken --listen address", () => {
  it("0_is_the_same_refusal_as_dns_gives", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const port = (taken.address() as AddressInfo).port;
      const r = runCli(["catalog", "serve", "--registry", URI, "--listen", `127.0.0.1:${port}`]);
      expect([r.code, r.stdout]).toEqual([EXIT_USAGE, ""]);
      expect(r.stderr.trim().split("\n").at(-1)).toBe(`portolan catalog: --listen 127.0.0.1:${port}: cannot listen (EADDRINUSE)`);
    } finally {
      taken.close();
    }
  });
});
