// `portolan catalog --json` prints the HTTP API's shape: the same document as a running `catalog serve` over the
// same registry (the test bed's Consul) answers for the same view and filters. Only the values that belong to the
// process that read them differ: `version` (changes this process has seen) and `since` (when it first saw the entry).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, startServing, stopProcess } from "./catalog-support.js";
import { runCli, type Running } from "./cli.js";
import { TESTBED } from "./testbed.js";

const CONSUL = `http://${TESTBED.consul.host}:${TESTBED.consul.port}`;
const URI = `consul://${TESTBED.consul.host}:${TESTBED.consul.port}`;
const BASE = "http://127.0.0.1:18782";
const tag = `cmp${process.pid}`;
const entries = [
  { ID: `${tag}-web-1`, Name: `${tag}web`, Address: "127.0.0.1", Port: 2001, Tags: [tag, "blue"], Meta: { zone: "a" } },
  { ID: `${tag}-web-2`, Name: `${tag}web`, Address: "::1", Port: 2002, Tags: [tag, "green"] },
  { ID: `${tag}-db-1`, Name: `${tag}db`, Address: "127.0.0.1", Port: 2003, Tags: [tag] },
];

async function consul(path: string, body?: object): Promise<void> {
  const r = await fetch(`${CONSUL}${path}`, { method: "PUT", body: body ? JSON.stringify(body) : undefined });
  if (r.status !== 200) throw new Error(`consul ${path}: HTTP ${r.status} ${await r.text()}`);
}

/** The document with its per-process values replaced by their types: every key must still be there. */
function perProcessValues(doc: unknown): unknown {
  if (Array.isArray(doc)) return doc.map(perProcessValues);
  if (doc === null || typeof doc !== "object") return doc;
  return Object.fromEntries(
    Object.entries(doc).map(([k, v]) => {
      if (k === "version") return [k, typeof v === "number" && Number.isInteger(v) && v >= 1 ? "a version" : v];
      if (k === "since") return [k, typeof v === "string" && !Number.isNaN(Date.parse(v)) ? "a time" : v];
      return [k, perProcessValues(v)];
    }),
  );
}

let serve: Running | undefined;
beforeAll(async () => {
  for (const e of entries) await consul("/v1/agent/service/register", e);
  serve = await startServing(BASE, ["catalog", "serve", "--registry", URI, "--listen", "127.0.0.1:18782", "--log-format", "json"]);
});
afterAll(async () => {
  await stopProcess(serve);
  for (const e of entries) await consul(`/v1/agent/service/deregister/${e.ID}`);
});

describe("catalog --json is the HTTP API's document", () => {
  const cases: Array<{ name: string; cli: string[]; path: string }> = [
    { name: "services_by_tag", cli: ["--tag", tag], path: `/v1/services?tag=${tag}` },
    { name: "services_by_tag_and_health", cli: ["--tag", "blue", "--health", "passing"], path: "/v1/services?tag=blue&health=passing" },
    { name: "service", cli: ["service", `${tag}web`], path: `/v1/services/${tag}web` },
    { name: "service_filtered", cli: ["service", `${tag}web`, "--tag", "green"], path: `/v1/services/${tag}web?tag=green` },
    { name: "service_nothing_matches", cli: ["service", `${tag}db`, "--tag", "blue"], path: `/v1/services/${tag}db?tag=blue` },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${i}_${c.name}`, async () => {
      const cli = runCli(["catalog", ...c.cli, "--json", "--registry", URI], {}, 30_000);
      expect(cli.code, cli.stderr).toBe(0);
      const api = await get(`${BASE}${c.path}`);
      expect(api.status, api.body).toBe(200);
      const [mine, theirs] = [JSON.parse(cli.stdout) as unknown, api.json()];
      expect(perProcessValues(mine)).toEqual(perProcessValues(theirs));
      expect(JSON.stringify(mine)).toMatch(/"version":/);
      if (c.name.startsWith("service_filtered")) expect(JSON.stringify(mine)).toMatch(/"since":"/);
    });
  }
});
