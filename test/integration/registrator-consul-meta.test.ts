// SERVICE_TAG_OVERRIDE and SERVICE_META_* on the real dockerd and Consul, through the built CLI: the agent holds
// EnableTagOverride and the meta keys; resyncs find nothing to rewrite (what Consul hands back equals what was
// registered); what Consul's limits refuse is one line naming the container's key, and the other containers register.
import { describe, expect, it } from "vitest";
import { BACKENDS, open } from "./backends.js";
import { startCli } from "./cli.js";
import { eventually, startTestContainer } from "./docker.js";
import { registratorCases } from "./registrator-cleanup.js";
import { TESTBED } from "./testbed.js";

const owner = `cmeta-${process.pid}`;
const consul = BACKENDS.find((b) => b.name === "consul")!;
const bed = registratorCases(owner);

describe("registrator, Consul tag override and meta", () => {
  it("0_EnableTagOverride and ServiceMeta written, stable across resyncs; over-limit meta refused by key", async () => {
    const reg = await open(consul);
    bed.registries.push(reg);
    const name = `cmeta${process.pid}`;
    await startTestContainer({ name: `${owner}-a`, labels: { SERVICE_NAME: name, SERVICE_TAG_OVERRIDE: "true", SERVICE_META_VERSION: "2", SERVICE_TAGS: "v2" } });
    const many = Object.fromEntries(Array.from({ length: 61 }, (_, i) => [`SERVICE_META_K${i}`, "v"]));
    await startTestContainer({ name: `${owner}-many`, labels: { SERVICE_NAME: `${name}m`, ...many } });
    await startTestContainer({ name: `${owner}-long`, labels: { SERVICE_NAME: `${name}l`, SERVICE_META_BLOB: "v".repeat(600) } });
    const proc = (bed.proc = startCli(["registrator", "--hostname", owner, "--resync", "1s", "--log-format", "json", consul.uri]));
    const id = `${owner}:${owner}-a`;
    await eventually("registered", async () => (await reg.listOwned(owner)).length === 1, 20_000);
    const agent = (await (await fetch(`http://${TESTBED.consul.host}:${TESTBED.consul.port}/v1/agent/service/${encodeURIComponent(id)}`)).json()) as Record<string, unknown>;
    expect(agent).toMatchObject({ EnableTagOverride: true, Tags: ["v2"], Meta: { version: "2" } });

    await eventually("both refusals", () => proc.logs().includes(`container ${owner}-many: SERVICE_*: consul refused it`) && proc.logs().includes(`container ${owner}-long: SERVICE_META_BLOB: consul refused it`), 10_000);
    // Three more resyncs: the entry read back equals the registered one, so it is never written again.
    await new Promise((r) => setTimeout(r, 3_500));
    const writes = proc.logs().split("\n").filter((l) => l.includes('"msg":"registered"') && l.includes(id));
    expect(writes).toHaveLength(1);
    expect(proc.logs().split("\n").filter((l) => l.includes(`${owner}-many`))).toHaveLength(1);
  }, 60_000);
});
