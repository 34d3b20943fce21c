// `portolan catalog`'s flags on either side of `service` / `serve`: each flag, in each position, reaches the
// action with its value (after the subcommand's name wins); a flag the subcommand does not take is refused
// naming it, wherever it stands. Parse level: the command with recording actions, no registry.
import { CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/core/errors.js";
import { catalogCommand, DEFAULT_CATALOG_REGISTRY } from "../../src/cli/catalog.js";

type Call = { action: "view" | "serve"; service?: string; flags: Record<string, unknown> };

async function parse(args: string[]): Promise<Call> {
  let call: Call | undefined;
  const cmd = catalogCommand({
    view: async (service, flags) => void (call = { action: "view", service, flags: { ...flags } }),
    serve: async (flags) => void (call = { action: "serve", flags: { ...flags } }),
  })
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  for (const sub of cmd.commands) sub.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  await cmd.parseAsync(args, { from: "user" });
  if (!call) throw new Error(`no action ran for ${args.join(" ")}`);
  return call;
}

/** The error parse() ends with: a UsageError (main: exit 64) or commander's (main: exit 64). */
async function refusal(args: string[]): Promise<Error> {
  const err = await parse(args).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (!err) throw new Error(`${args.join(" ")} was accepted`);
  return err;
}

// [flag, its value on the command line (undefined: a boolean flag), the attribute the action reads, the value it gets]
const VIEW_FLAGS: Array<[string, string | undefined, string, unknown]> = [
  ["--registry", "consul://127.0.0.1:18500", "registry", "consul://127.0.0.1:18500"],
  ["--json", undefined, "json", true],
  ["--watch", undefined, "watch", true],
  ["--tag", "blue", "tag", "blue"],
  ["--host", "h1", "host", "h1"],
  ["--health", "critical", "health", "critical"],
  ["--timeout", "3s", "timeout", "3s"],
];
const SERVE_FLAGS: Array<[string, string | undefined, string, unknown]> = [
  ["--registry", "consul://127.0.0.1:18500", "registry", "consul://127.0.0.1:18500"],
  ["--listen", "127.0.0.1:18790", "listen", "127.0.0.1:18790"],
  ["--token", "t0ken", "token", "t0ken"],
  ["--max-connections", "10", "maxConnections", "10"],
  ["--log-format", "json", "logFormat", "json"],
  ["--log-level", "debug", "logLevel", "debug"],
];
const given = (flag: string, value: string | undefined) => (value === undefined ? [flag] : [flag, value]);

describe("catalog view flags, before and after `service`", () => {
  const cases = VIEW_FLAGS.flatMap(([flag, value, key, want]) => [
    { name: `${flag}_alone`, args: [...given(flag, value)], service: undefined, key, want },
    { name: `${flag}_before_service`, args: [...given(flag, value), "service", "web"], service: "web", key, want },
    { name: `${flag}_after_service`, args: ["service", "web", ...given(flag, value)], service: "web", key, want },
    { name: `${flag}_between_service_and_name`, args: ["service", ...given(flag, value), "web"], service: "web", key, want },
  ]);
  for (const [i, c] of cases.entries()) {
    it(`${i}_${c.name}`, async () => {
      const call = await parse(c.args);
      expect(call).toMatchObject({ action: "view", service: c.service });
      expect(call.flags[c.key]).toEqual(c.want);
    });
  }
});

describe("catalog serve flags, before and after `serve`", () => {
  const base = (flag: string) => (flag === "--registry" ? [] : ["--registry", "memory:"]);
  const cases = SERVE_FLAGS.flatMap(([flag, value, key, want]) => [
    { name: `${flag}_before_serve`, args: [...given(flag, value), "serve", ...base(flag)], key, want },
    { name: `${flag}_after_serve`, args: ["serve", ...base(flag), ...given(flag, value)], key, want },
  ]);
  for (const [i, c] of cases.entries()) {
    it(`${i}_${c.name}`, async () => {
      const call = await parse(c.args);
      expect(call.action).toBe("serve");
      expect(call.flags[c.key]).toEqual(c.want);
    });
  }
});

describe("defaults, and the later position wins", () => {
  it("0_defaults_when_given_nowhere", async () => {
    const call = await parse(["service", "web"]);
    expect(call.flags).toMatchObject({ registry: DEFAULT_CATALOG_REGISTRY, timeout: "10s" });
    expect(call.flags.json).toBeUndefined();
  });
  it("1_after_the_subcommand_wins", async () => {
    expect((await parse(["--tag", "a", "service", "web", "--tag", "b"])).flags.tag).toBe("b");
    expect((await parse(["--listen", "127.0.0.1:1", "serve", "--registry", "memory:", "--listen", "127.0.0.1:2"])).flags.listen).toBe("127.0.0.1:2");
  });
  it("2_serve_defaults", async () => {
    expect((await parse(["serve", "--registry", "memory:"])).flags).toMatchObject({ listen: "127.0.0.1:8700", maxConnections: "4096", logFormat: "auto" });
  });
  it("3_serve_needs_registry_on_either_side", async () => {
    const err = await refusal(["serve", "--listen", "127.0.0.1:0"]);
    expect(err).toBeInstanceOf(CommanderError);
    expect([(err as CommanderError).exitCode, err.message]).toEqual([64, "error: required option '--registry <uri>' not specified"]);
  });
});

describe("flags a command does not take are refused naming them, in either position", () => {
  const cases: Array<{ name: string; args: string[]; flag: string }> = [
    ...VIEW_FLAGS.filter(([f]) => f !== "--registry").flatMap(([flag, value]) => [
      { name: `${flag}_before_serve`, args: [...given(flag, value), "serve", "--registry", "memory:"], flag },
      { name: `${flag}_after_serve`, args: ["serve", "--registry", "memory:", ...given(flag, value)], flag },
    ]),
    ...SERVE_FLAGS.filter(([f]) => f !== "--registry").flatMap(([flag, value]) => [
      { name: `${flag}_alone`, args: [...given(flag, value)], flag },
      { name: `${flag}_before_service`, args: [...given(flag, value), "service", "web"], flag },
      { name: `${flag}_after_service`, args: ["service", "web", ...given(flag, value)], flag },
    ]),
  ];
  for (const [i, c] of cases.entries()) {
    it(`${i}_${c.name}`, async () => {
      const err = await refusal(c.args);
      expect(err instanceof UsageError || (err instanceof CommanderError && err.exitCode !== 0)).toBe(true);
      expect(err.message).toContain(c.flag);
    });
  }
});
