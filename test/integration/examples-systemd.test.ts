// examples/systemd/: systemd's own verifier accepts the unit (with its binary and env file at test paths), and the
// unit's ExecStart, expanded from the example's env file as systemd expands it, runs the real registrator: it
// registers a container in the test bed's Consul and stops with exit 0 on SIGTERM, as `systemctl stop` sends it.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseSystemdEnv } from "../../src/render/envfile.js";
import { assertBuilt, BIN, signalAndWait, track } from "./cli.js";
import { consulGet } from "./consul-support.js";
import { eventually, removeTestContainers, startTestContainer } from "./docker.js";
import { TESTBED } from "./testbed.js";

const example = new URL("../../examples/systemd/", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "portolan-systemd-"));
const owner = `sd-${process.pid}`;

/** ExecStart's words with systemd's expansion: `${X}` is one word, `$X` splits on whitespace (empty: no word). */
function expandExecStart(line: string, env: Record<string, string>): string[] {
  return line.trim().split(/\s+/).flatMap((word) => {
    const braced = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(word);
    if (braced) return [env[braced[1] as string] ?? ""];
    const bare = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(word);
    if (bare) return (env[bare[1] as string] ?? "").split(/\s+/).filter(Boolean);
    if (word.includes("$")) throw new Error(`ExecStart word ${word}: only whole-word variables are expanded here`);
    return [word];
  });
}

describe("examples/systemd", () => {
  const unit = readFileSync(join(example, "portolan-registrator.service"), "utf8");
  const envText = readFileSync(join(example, "portolan.env"), "utf8")
    .replace(/^PORTOLAN_IP=.*$/m, "PORTOLAN_IP=127.0.0.3")
    .replace(/^PORTOLAN_REGISTRY=.*$/m, `PORTOLAN_REGISTRY=consul://${TESTBED.consul.host}:${TESTBED.consul.port}`)
    .replace(/^PORTOLAN_FLAGS=.*$/m, `PORTOLAN_FLAGS=--hostname ${owner} --cleanup`);
  const envFile = join(dir, "portolan.env");
  writeFileSync(envFile, envText, { mode: 0o600 });
  afterAll(async () => {
    await removeTestContainers();
    rmSync(dir, { recursive: true, force: true });
  });

  it("0_systemd-analyze verify accepts the unit without a warning", () => {
    expect(unit).toContain("ExecStart=/usr/local/bin/portolan ");
    expect(unit).toContain("EnvironmentFile=/etc/portolan/portolan.env");
    const path = join(dir, "portolan-registrator.service");
    writeFileSync(path, unit.replaceAll("/usr/local/bin/portolan", BIN).replaceAll("/etc/portolan/portolan.env", envFile));
    const r = spawnSync("systemd-analyze", ["verify", path], { encoding: "utf8" });
    expect(r.error).toBeUndefined(); // systemd-analyze is part of Debian's systemd: missing means the bed is wrong
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
  });

  it("1_its ExecStart, expanded from the env file, registers a container and stops on SIGTERM with exit 0", async () => {
    assertBuilt();
    const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1];
    expect(exec).toBeDefined();
    const env = Object.fromEntries(parseSystemdEnv(envText, envFile).entries.map((e) => [e.key, e.value]));
    const [cmd, ...args] = expandExecStart(exec as string, env);
    expect(cmd).toBe("/usr/local/bin/portolan");
    expect(args).toEqual(["registrator", "--ip", "127.0.0.3", "--log-format", "json", "--hostname", owner, "--cleanup", `consul://${TESTBED.consul.host}:${TESTBED.consul.port}`]);
    const run = track(spawn(BIN, args, { env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", ...env }, stdio: ["ignore", "pipe", "pipe"] }));
    try {
      const c = await startTestContainer({ name: `${owner}-web`, ports: ["80/tcp"], env: { SERVICE_NAME: `sd${process.pid}` } });
      expect(c.id).toBeTruthy();
      const entries = await eventually("registered by the unit's command", async () => {
        const e = await consulGet<{ ServiceID: string; ServiceAddress: string }[]>(`/v1/catalog/service/sd${process.pid}`);
        return e.length > 0 ? e : undefined;
      }, 30_000, 100).catch((err: Error) => {
        throw new Error(`${err.message}\n${run.logs()}`);
      });
      expect(entries).toEqual([expect.objectContaining({ ServiceID: `${owner}:${owner}-web:80`, ServiceAddress: "127.0.0.3" })]);
    } finally {
      const stopped = await signalAndWait(run, "SIGTERM", 20_000);
      expect(stopped.code).toBe(0);
    }
  }, 60_000);
});
