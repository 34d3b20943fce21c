// portolan:// as a registry for other commands: `portolan exec --watch --registry portolan://…` fed by a
// `portolan up` in another process re-renders when a container starts there (and `render` reads it once).
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startCli, type Running } from "./cli.js";
import { eventually, publishedPort, removeTestContainers, startTestContainer } from "./docker.js";
import { startServing, stopProcess } from "./catalog-support.js";

const owner = `cat-uri-${process.pid}`;
const svc = `caturi${process.pid}`;
const UP = "http://127.0.0.1:18760";
const URI = "portolan://127.0.0.1:18760";

describe("portolan:// feeds render and exec --watch", () => {
  let up: Running | undefined;
  let exec: Running | undefined;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "portolan-uri-"));
    up = await startServing(UP, ["up", "--dns", "off", "--hostname", owner, "--listen", "127.0.0.1:18760", "--log-format", "json"]);
  });
  afterAll(async () => {
    await stopProcess(exec);
    await stopProcess(up);
    await removeTestContainers();
    await rm(dir, { recursive: true, force: true });
  });

  it("0_a container started beside portolan up reaches the rendered file, and the child is reloaded", async () => {
    const a = await startTestContainer({ name: `${owner}-a`, ports: ["27017/tcp"], env: { SERVICE_NAME: svc } });
    const pa = await publishedPort(a, "27017/tcp");
    const tpl = join(dir, "hosts.json.mustache");
    await writeFile(tpl, `{"hosts": [{{#services.${svc}}}"{{hostPort}}"{{^last}}, {{/last}}{{/services.${svc}}}]}\n`);
    const dest = join(dir, "hosts.json");
    await eventually("up registered a", () => {
      const once = runCli(["render", "--registry", URI, "--template", `${tpl}:${dest}`]);
      return once.code === 0 && (JSON.parse(readHostsFile(dest)) as { hosts: string[] }).hosts.length === 1;
    }, 20_000, 200);
    expect(JSON.parse(await readFile(dest, "utf8"))).toEqual({ hosts: [`127.0.0.1:${pa}`] });

    exec = startCli(["exec", "--registry", URI, "--watch", "--watch-min-quiet", "100ms", "--watch-max-quiet", "1s", "--template", `${tpl}:${dest}`, "--",
      "sh", "-c", `trap 'echo "reloaded $(cat ${dest})"' HUP; trap 'exit 0' TERM; echo ready; while :; do sleep 0.1; done`]);
    await eventually("child ready", () => exec!.logs().includes("ready"), 20_000);
    const b = await startTestContainer({ name: `${owner}-b`, ports: ["27017/tcp"], env: { SERVICE_NAME: svc } });
    const pb = await publishedPort(b, "27017/tcp");
    await eventually("re-rendered with b and reloaded", () => exec!.logs().includes(`127.0.0.1:${pb}`) && exec!.logs().includes("reloaded"), 20_000);
    const hosts = (JSON.parse(await readFile(dest, "utf8")) as { hosts: string[] }).hosts.sort();
    expect(hosts).toEqual([`127.0.0.1:${pa}`, `127.0.0.1:${pb}`].sort());
  });
});

function readHostsFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return '{"hosts":[]}';
  }
}
