// `portolan render` as a commander command (help text, wiring in main.ts). The work is in render-run.ts.
import { Command } from "commander";
import { addFlagOptions } from "./flag-table.js";
import { flagsFor, type RawRenderOptions } from "./render-options.js";
import { runRender } from "./render-run.js";

/** Adds every flag of `mode` from the shared FLAGS table. */
export function addFlags(cmd: Command, mode: "render" | "exec"): Command {
  return addFlagOptions(cmd, flagsFor(mode));
}

export function renderCommand(): Command {
  const cmd = new Command("render")
    .description("layer env files and process env, validate against --spec, render templates, write changed files, exit");
  addFlags(cmd, "render");
  cmd.addHelpText(
    "after",
    `
Example:
  portolan render --env-dir /etc/push --name push-server --spec /app/spec.yaml \\
    --template /app/config.json.mustache:/app/config.json`,
  );
  return cmd.action(async (raw: RawRenderOptions) => {
    process.exitCode = await runRender(raw);
  });
}
