#!/usr/bin/env node
// portolan <command> [flags] [args]. Each command lives in its own file and is imported only when used,
// so `portolan exec` never loads Docker, Consul or ZooKeeper clients.
// signals.js first: every caught signal is handled from here on, before anything else loads (see signals.ts).
import { installSignals } from "./signals.js";
import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { UsageError } from "../core/errors.js";
import { EXIT_SOFTWARE, EXIT_USAGE, exitCodesHelp, REGISTRATOR_EXIT_CODES, RENDER_EXIT_CODES, SERVER_EXIT_CODES, CATALOG_EXIT_CODES, type ExitCodeRow } from "../core/exit-codes.js";
import { crashText, installCrashHandler, writeStderr, writeStdout } from "../core/output.js";
import { commandFirst, subcommandHelp } from "./argv.js";
import { reportFailure } from "./exit.js";

installSignals();

type Loader = () => Promise<Command>;

const COMMANDS: Record<string, { summary: string; load: Loader; exitCodes: readonly ExitCodeRow[] }> = {
  registrator: {
    summary: "register running containers' services in a registry",
    load: async () => (await import("./registrator.js")).registratorCommand(),
    exitCodes: REGISTRATOR_EXIT_CODES,
  },
  up: { summary: "registrator + embedded registry + DNS shim + catalog in one process", load: async () => (await import("./up.js")).upCommand(), exitCodes: REGISTRATOR_EXIT_CODES },
  render: { summary: "layer env files, validate, render templates, exit", load: async () => (await import("./render.js")).renderCommand(), exitCodes: RENDER_EXIT_CODES },
  exec: { summary: "render, then run a program as a supervised child", load: async () => (await import("./exec.js")).execCommand(), exitCodes: RENDER_EXIT_CODES },
  dns: { summary: "answer DNS for the registered services (Consul's query forms)", load: async () => (await import("./dns.js")).dnsCommand(), exitCodes: SERVER_EXIT_CODES },
  catalog: { summary: "show or serve the catalog (table, JSON, HTTP API, live page, metrics)", load: async () => (await import("./catalog.js")).catalogCommand(), exitCodes: CATALOG_EXIT_CODES },
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

export async function main(rawArgv: string[]): Promise<number> {
  let argv: string[];
  try {
    argv = commandFirst(rawArgv, new Set(Object.keys(COMMANDS)));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    writeStderr(`portolan: ${err.message}\n`);
    return EXIT_USAGE;
  }
  // Container-start fast path: render/exec parse their flags without commander (see render-fast.ts). What the
  // fast parser refuses goes to commander below, which words the error as it does for every other command.
  if (argv[2] === "render" || argv[2] === "exec") {
    const fast = (await import("./render-fast.js")).runIfFast(argv);
    if (fast) return fast;
  }
  const { Command, CommanderError } = await import("commander");
  const output = { writeOut: writeStdout, writeErr: writeStderr, outputError: (text: string, write: (s: string) => void) => write(text) };
  const program = new Command("portolan")
    .description("Keeps a fleet of Docker containers findable and configured.")
    .version(version(), "-V, --version")
    .configureOutput(output)
    .exitOverride()
    .enablePositionalOptions() // a subcommand's flags stay its own (`catalog service NAME --registry …`)
    .showHelpAfterError("(portolan --help lists the commands)");
  const name = argv[2];
  const entry = name !== undefined ? COMMANDS[name] : undefined;
  if (entry) {
    const cmd = (await entry.load()).exitOverride().configureOutput(output);
    cmd.addHelpText("after", `\n${exitCodesHelp(entry.exitCodes)}`);
    program.addCommand(cmd);
    if (cmd.commands.length > 0) argv = [...argv.slice(0, 3), ...subcommandHelp(argv.slice(3), new Set(cmd.commands.map((c) => c.name())))];
  } else {
    for (const [cmd, { summary }] of Object.entries(COMMANDS)) program.command(cmd).description(summary);
  }
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
    return reportFailure(name ?? "", err);
  }
}

installCrashHandler(EXIT_SOFTWARE);
main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    writeStderr(crashText(err));
    process.exitCode = EXIT_SOFTWARE;
  },
);
