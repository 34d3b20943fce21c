#!/usr/bin/env node
// portolan <command> [flags] [args]. Each command lives in its own file and is imported only when used,
// so `portolan exec` never loads Docker, Consul or ZooKeeper clients.
import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { EXIT_USAGE, UsageError } from "../core/errors.js";

type Loader = () => Promise<Command>;

const COMMANDS: Record<string, { summary: string; load: Loader }> = {
  registrator: { summary: "register running containers' services in a registry", load: async () => (await import("./registrator.js")).registratorCommand() },
  up: { summary: "run the registrator with the embedded registry (laptop mode)", load: async () => (await import("./up.js")).upCommand() },
  render: { summary: "layer env files, validate, render templates, exit", load: async () => (await import("./render.js")).renderCommand() },
  catalog: { summary: "show or serve the catalog (table, JSON, HTTP API, live page, metrics)", load: async () => (await import("./catalog.js")).catalogCommand() },
  exec: { summary: "render, then run a program as a supervised child", load: async () => (await import("./exec.js")).execCommand() },
};

/** The package version, from the nearest package.json above this file (works from src/ and dist/). */
function version(): string {
  for (let url = new URL("./", import.meta.url); url.pathname !== "/"; url = new URL("../", url)) {
    try {
      return (JSON.parse(readFileSync(new URL("package.json", url), "utf8")) as { version: string }).version;
    } catch {
      // not here; look one level up
    }
  }
  return "unknown";
}

export async function main(argv: string[]): Promise<number> {
  // Container-start fast path: render/exec parse their flags without commander (see render-fast.ts).
  const first = argv[2];
  if (first === "render" || first === "exec") {
    const fast = await import("./render-fast.js");
    if (!fast.wantsHelp(argv.slice(3))) return fast.runFast(first, argv.slice(3));
  }
  const { Command, CommanderError } = await import("commander");
  const program = new Command("portolan")
    .description("Keeps a fleet of Docker containers findable and configured.")
    .version(version(), "-V, --version")
    .exitOverride()
    .enablePositionalOptions() // a subcommand's flags stay its own (`catalog service NAME --registry …`)
    .showHelpAfterError();
  const name = argv[2];
  const entry = name !== undefined ? COMMANDS[name] : undefined;
  if (entry) {
    program.addCommand((await entry.load()).exitOverride());
  } else {
    for (const [cmd, { summary }] of Object.entries(COMMANDS)) program.command(cmd).description(summary);
  }
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
    if (err instanceof UsageError) {
      process.stderr.write(`portolan ${name}: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`portolan: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
