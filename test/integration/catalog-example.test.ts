// Runs examples/catalog/run.sh as a user would (portolan up, docker, the catalog CLI, curl) and checks its output.
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assertBuilt, CLI } from "./cli.js";
import { TESTBED } from "./testbed.js";

describe("examples/catalog", () => {
  it("0_run.sh", async () => {
    assertBuilt();
    const script = new URL("../../examples/catalog/run.sh", import.meta.url).pathname;
    const env = { ...process.env, IMAGE: TESTBED.busyboxImage, PORTOLAN: `${process.execPath} ${CLI}`, LISTEN: "127.0.0.1:18750", DNS: "127.0.0.1:18751" };
    const out = await new Promise<string>((resolve, reject) => {
      execFile("bash", [script], { cwd: mkdtempSync(join(tmpdir(), "portolan-catalog-example-")), env, encoding: "utf8", timeout: 120_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
      );
    });
    expect(out).toContain(
      [
        "== portolan catalog --tag example",
        "SERVICE        PASSING  INSTANCES  TAGS",
        "example-api    1        1          example,http",
        "example-cache  1        1          example",
        "== portolan catalog service example-api",
      ].join("\n"),
    );
    expect(out).toMatch(/example-catalog:catalog-example-api:8080 +127\.0\.0\.1:PORT +passing +example-catalog +catalog-example-api ID +example,http\n/);
    expect(out).toContain('{"name":"example-api","instances":1,"passing":1,"warning":0,"critical":0,"tags":["example","http"],"hosts":["example-catalog"]}');
    expect(out).toContain('example-api catalog-example-api ",example,http,"\nexample-cache catalog-example-cache ",example,"\n');
    expect(out).toContain("== unknown service\nexit 66");
  }, 150_000);
});
