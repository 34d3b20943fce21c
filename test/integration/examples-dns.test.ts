// Runs examples/dns-srv exactly as a user would and checks what it prints.
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assertBuilt, CLI } from "./cli.js";
import { TESTBED } from "./testbed.js";

describe("examples", () => {
  it("0_dns-srv", async () => {
    assertBuilt();
    const script = new URL("../../examples/dns-srv/run.sh", import.meta.url).pathname;
    const env = { ...process.env, IMAGE: TESTBED.busyboxImage, PORTOLAN: `${process.execPath} ${CLI}`, DNS: "127.0.0.1:18660", LISTEN: "127.0.0.1:18661" };
    const out = await new Promise<string>((resolve, reject) =>
      execFile("bash", [script], { cwd: mkdtempSync(join(tmpdir(), "portolan-dns-srv-")), env, encoding: "utf8", timeout: 90_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`dns-srv failed: ${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
      ),
    );
    expect(out).toMatch(/^SRV _greeter\._tcp\.service\.consul -> 7f000001\.addr\.dc1\.consul:\d+$/m);
    expect(out).toContain("A 7f000001.addr.dc1.consul -> 127.0.0.1");
    expect(out).toContain("greeter says: hello from greeter");
    expect(out).toContain("after docker stop: _greeter._tcp.service.consul -> ENOTFOUND");
    expect(out).toContain(`"msg":"dns listening on 127.0.0.1:18660 (udp+tcp)"`);
  }, 100_000);
});
