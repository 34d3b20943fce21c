// `portolan catalog` against a real Consul holding an entry another client registered with terminal escape
// sequences in its address: the table an operator reads must carry no control character.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./cli.js";

const CONSUL = "http://127.0.0.1:18500";
const id = `sweep-srv-esc-${process.pid}`;
const name = `sweepesc${process.pid}`;

async function consul(path: string, body?: object): Promise<void> {
  const r = await fetch(`${CONSUL}${path}`, { method: "PUT", body: body ? JSON.stringify(body) : undefined });
  if (r.status !== 200) throw new Error(`consul ${path}: HTTP ${r.status} ${await r.text()}`);
}

describe("catalog CLI and hostile entries in Consul", () => {
  beforeAll(() => consul("/v1/agent/service/register", { ID: id, Name: name, Address: "evil\u001b]2;pwned\u0007\u001b[2J", Port: 80 }));
  afterAll(() => consul(`/v1/agent/service/deregister/${id}`));

  for (const [i, args] of [["catalog", "service", name], ["catalog", "--json"]].entries()) {
    it(`${i}_${args.join(" ")}: no control character on stdout`, () => {
      const r = runCli([...args, "--registry", "consul://127.0.0.1:18500"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(args.includes("--json") ? name : "evil?]2;pwned??[2J:80");
      // eslint-disable-next-line no-control-regex
      expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    });
  }
});
