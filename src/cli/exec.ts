// `portolan exec` as a commander command (help text, wiring in main.ts). The work is in exec-run.ts.
import { Command } from "commander";
import { runExec } from "./exec-run.js";
import type { RawRenderOptions } from "./render-options.js";
import { addFlags } from "./render.js";

export function execCommand(): Command {
  const cmd = new Command("exec")
    .description("render like `portolan render`, then run CMD with the layered environment, forwarding signals")
    .argument("<command...>", "the program and its arguments (everything from the first non-flag argument, or after --)");
  addFlags(cmd, "exec");
  cmd.addHelpText(
    "after",
    `
The program inherits stdio and gets the process env plus every layered variable. Every catchable signal
(TERM, INT, HUP, QUIT, USR1, USR2, WINCH, CONT, ALRM, TSTP, TTIN, TTOU) is forwarded once; after TERM/INT the
program has --kill-timeout to exit before SIGKILL. On a terminal the program stays in portolan's process group
and keeps the tty: ^C, ^\\, ^Z and resizes reach it from the terminal, so portolan does not forward them again.
Before the program starts, TERM/INT/HUP/QUIT end portolan with 128+signal and the others are ignored.
portolan exits with the program's code, or 128+signal; 71 when it cannot start (E2BIG names the largest variables).

Everything after the program's name belongs to the program (\`exec sh -c 'x' --name y\` passes --name y to sh);
\`--\` ends portolan's flags explicitly. Exit codes (below): the program's, or portolan's own before it runs.

Example (image entrypoint):
  portolan exec --env-dir /etc/push --name push-server --spec /app/spec.yaml \\
    --template /app/config.json.mustache:/app/config.json --wait tcp://mongodb:27017 -- node /app/server.js`,
  );
  return cmd.action(async (command: string[], raw: RawRenderOptions) => {
    process.exitCode = await runExec(raw, command);
  });
}
