// `portolan exec --registry URI --watch` against real backends (Consul dev agent, ZooKeeper standalone):
// the first render lists the passing instances, a registry change re-renders (debounced) and the child
// receives the reload signal — or --reload-cmd runs.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Instance } from "../../src/core/model.js";
import type { Registry } from "../../src/core/registry.js";
import { open, type Backend } from "./backends.js";
import { startCli } from "./cli.js";
import { TESTBED } from "./testbed.js";
import { until as waitUntil } from "../support/until.js";

const WATCHED: Backend[] = [
  { name: "consul", uri: `consul://${TESTBED.consul.host}:${TESTBED.consul.port}` },
  { name: "zk-curator", uri: `zk://${TESTBED.zkStandalone}/portolan-it-render-${process.pid}?format=curator` },
  { name: "etcd", uri: `etcd://${TESTBED.etcd}/portolan-it-render-${process.pid}` },
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "portolan-watch-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const until = (what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000) => waitUntil(what, cond, timeoutMs, 50);

const readOr = (p: string) => readFile(p, "utf8").catch(() => "");

WATCHED.forEach((b, bi) => {
  describe(`--watch on ${b.name}`, () => {
    const svc = `rdb${process.pid}${bi}`;
    const inst = (n: number): Instance => ({
      id: `render-it:${svc}:${n}`,
      name: svc,
      address: `10.9.0.${n}`,
      port: 27000 + n,
      protocol: "tcp",
      tags: [],
      meta: {},
      checks: [],
      health: "passing",
      owner: "render-it",
    });
    let reg: Registry;
    beforeAll(async () => {
      reg = await open(b);
      await reg.register(inst(2));
    });
    afterAll(async () => {
      for (const n of [1, 2, 3]) await reg.deregister(inst(n)).catch(() => {});
      await reg.close();
    });

    it(`${bi * 2}_rerender_and_reload_signal_reach_the_child`, async () => {
      const tpl = join(dir, `${b.name}.json.mustache`);
      await writeFile(tpl, `{"hosts": [{{#services.${svc}}}"{{hostPort}}"{{^last}}, {{/last}}{{/services.${svc}}}], "app": "{{APP}}"}\n`);
      const dest = join(dir, `${b.name}-out`, "mongo.json");
      const r = startCli(
        ["exec", "--registry", b.uri, "--watch", "--watch-min-quiet", "200ms", "--watch-max-quiet", "2s", "--template", `${tpl}:${dest}`, "--",
          "sh", "-c", `trap 'echo "reloaded $(cat ${dest})"' HUP; trap 'exit 0' TERM; echo ready; while :; do sleep 0.1; done`],
        { APP: "push" },
      );
      try {
        await until("child ready", () => r.logs().includes("ready"));
        expect(JSON.parse(await readFile(dest, "utf8"))).toEqual({ hosts: ["10.9.0.2:27002"], app: "push" });
        expect(r.logs()).not.toContain("reloaded");
        await reg.register(inst(1));
        await reg.register(inst(3));
        await until("re-render", async () => (await readOr(dest)).includes("10.9.0.3"));
        expect(JSON.parse(await readFile(dest, "utf8"))).toEqual({ hosts: ["10.9.0.1:27001", "10.9.0.2:27002", "10.9.0.3:27003"], app: "push" });
        await until("reload signal", () => r.logs().includes("reloaded {"));
        expect(r.logs()).toContain('reloaded {"hosts": ["10.9.0.1:27001", "10.9.0.2:27002", "10.9.0.3:27003"]');
        await reg.deregister(inst(1));
        await until("re-render after deregister", async () => !(await readOr(dest)).includes("10.9.0.1"));
        r.proc.kill("SIGTERM");
        expect((await r.exited).code).toBe(0);
      } finally {
        r.proc.kill("SIGKILL");
      }
    });

    it(`${bi * 2 + 1}_reload_cmd_runs_instead_of_a_signal`, async () => {
      const tpl = join(dir, `${b.name}-cmd.mustache`);
      await writeFile(tpl, `{{#services.${svc}}}{{address}} {{/services.${svc}}}\n`);
      const dest = join(dir, `${b.name}-cmd-out`);
      const marker = join(dir, `${b.name}-reloaded`);
      const r = startCli(["exec", "--registry", b.uri, "--watch", "--watch-min-quiet", "100ms", "--reload-cmd", `cp ${dest} ${marker}`, "--template", `${tpl}:${dest}`, "--",
        "sh", "-c", "trap 'exit 0' TERM; echo ready; while :; do sleep 0.1; done"]);
      try {
        await until("child ready", () => r.logs().includes("ready"));
        const first = await readFile(dest, "utf8");
        await reg.register(inst(1));
        await until("reload command", async () => (await readOr(marker)) !== "");
        expect(await readFile(marker, "utf8")).not.toBe(first);
        expect(await readFile(marker, "utf8")).toContain("10.9.0.1");
        r.proc.kill("SIGTERM");
        expect((await r.exited).code).toBe(0);
      } finally {
        r.proc.kill("SIGKILL");
      }
    });
  });
});
