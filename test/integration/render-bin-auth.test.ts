// render and exec as images run them (bin/portolan -> the container-start bundle, dist/src/cli/start.cjs) against
// a registry that refuses the credentials: a configuration error, exit 78, nothing rendered, nothing started. The
// bundle inlines its own copy of src/core/errors while the adapters it loads import the shared one, so the
// adapter's BackendAuthError was not recognised there: render went on and wrote the ACL-filtered, empty catalog.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_CONFIG } from "../../src/core/exit-codes.js";
import { assertBuilt } from "./cli.js";
import { TESTBED } from "./testbed.js";

const BIN = new URL("../../bin/portolan", import.meta.url).pathname;
const ACL_URI = `consul://${TESTBED.consulAcl.host}:${TESTBED.consulAcl.port}`;

let dir: string;
beforeAll(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), "portolan-bin-auth-"));
  await writeFile(join(dir, "t.tmpl"), "{{#services.web}}{{address}}{{/services.web}}\n");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("bin/portolan render|exec --registry with refused credentials (the ACL agent, no token or an unknown one)", () => {
  const cases: Array<[string, (out: string, marker: string) => string[]]> = [
    ["render", (out) => ["render", "--registry", ACL_URI, "--template", `${join(dir, "t.tmpl")}:${out}`]],
    ["exec", (out, marker) => ["exec", "--registry", ACL_URI, "--template", `${join(dir, "t.tmpl")}:${out}`, "--", "touch", marker]],
    ["exec --watch", (out, marker) => ["exec", "--watch", "--registry", ACL_URI, "--template", `${join(dir, "t.tmpl")}:${out}`, "--", "touch", marker]],
  ];
  // No token: the anonymous token's reads are filtered (an empty 200), not refused; an unknown token: the first
  // read itself is refused (403 "ACL not found"), and that read is the access check (no probe of its own).
  const tokens: Array<[string, string, string]> = [
    ["no_token", "", "'service:read'"],
    ["unknown_token", "00000000-0000-4000-8000-000000000000", "ACL not found"],
  ];
  tokens.forEach(([tokenCase, token, said], t) =>
    cases.forEach(([name, args], i) =>
      it(`${t * cases.length + i}_${name}_${tokenCase} exits 78 naming CONSUL_HTTP_TOKEN, writes and runs nothing`, () => {
        const out = join(dir, `out-${t}-${i}`);
        const marker = join(dir, `started-${t}-${i}`);
        const r = spawnSync(BIN, args(out, marker), { encoding: "utf8", env: { ...process.env, CONSUL_HTTP_TOKEN: token }, timeout: 30_000 });
        expect(r.status, r.stderr).toBe(EXIT_CONFIG);
        expect(r.stderr).toContain("CONSUL_HTTP_TOKEN");
        expect(r.stderr).toContain(said);
        expect(r.stderr).not.toContain("retrying");
        if (token) expect(r.stderr).not.toContain(token);
        expect(existsSync(out)).toBe(false);
        expect(existsSync(marker)).toBe(false);
      }),
    ),
  );
});
