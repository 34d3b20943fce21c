// `portolan exec` on a real terminal: `script` (util-linux) runs bin/portolan on a new pty, as
// `docker run -it … portolan exec -- sh` does. ^C reaches the program exactly once (not from the terminal and
// again from portolan), does not arm the kill timeout, and an interactive shell keeps its job control and tty.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { until } from "../support/until.js";
import { assertBuilt } from "./cli.js";
import { RUN_LABEL } from "./docker.js";
import { TESTBED } from "./testbed.js";

const BIN = new URL("../../bin/portolan", import.meta.url).pathname;

beforeAll(() => {
  assertBuilt();
  execFileSync("script", ["--version"]); // util-linux's script: a missing one fails here, loudly
});

interface Tty {
  proc: ChildProcess;
  out(): string;
  type(text: string): void;
  exited: Promise<number | null>;
}

const running: ChildProcess[] = [];
afterEach(() => {
  for (const p of running.splice(0)) if (p.exitCode === null) p.kill("SIGKILL");
});

/** Quotes one word for sh. */
const q = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;

/**
 * Runs `bin/portolan ARGS` (or another command line) on a new pty (script -e passes its exit code through).
 * script runs the line with `$SHELL -c`: `exec` makes that shell become the command, whatever $SHELL is (CI has
 * none, so /bin/sh, which would otherwise stay as the terminal's foreground process and die of the ^C itself).
 */
function onTerminal(args: string, command = `${BIN} ${args}`): Tty {
  const proc = spawn("script", ["-qfec", `exec ${command}`, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"] });
  running.push(proc);
  let out = "";
  proc.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  proc.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.on("close", (code) => resolve(code)));
  return { proc, out: () => out, type: (text) => proc.stdin!.write(text), exited };
}

const seen = (t: Tty, text: string) => until(`${JSON.stringify(text)} in ${JSON.stringify(t.out())}`, () => t.out().includes(text), 15_000, 25);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("exec on a terminal", () => {
  it("0_ctrl_c_reaches_the_program_once_and_the_program_reads_the_tty", async () => {
    const script = 'trap "echo CAUGHT-INT" INT; echo ready; while :; do if read line; then echo "got:$line"; exit 7; fi; done';
    const t = onTerminal(`exec --kill-timeout 300ms -- sh -c '${script}'`);
    await seen(t, "ready");
    t.type("\x03");
    await seen(t, "CAUGHT-INT");
    await pause(900); // past --kill-timeout: a ^C is a keystroke for the program, not a stop request
    t.type("hello\n");
    expect(await t.exited).toBe(7);
    expect(t.out().match(/CAUGHT-INT/g)).toHaveLength(1);
    expect(t.out()).toContain("got:hello");
  });

  it("1_interactive_shell_keeps_job_control_and_survives_ctrl_c", async () => {
    const t = onTerminal("exec --kill-timeout 300ms -- sh -i");
    t.type("case $- in *m*) echo JOB-CONTROL-ON;; esac\n");
    await seen(t, "JOB-CONTROL-ON\r\n");
    t.type("sleep 30; echo after-sleep\n");
    await pause(300);
    t.type("\x03"); // ends the foreground sleep only
    await pause(900);
    t.type("sleep 31\n");
    await pause(300);
    t.type("\x1a"); // ^Z: the shell stops its job and gets the terminal back
    await seen(t, "Stopped");
    t.type("kill -9 %1; wait; echo still-here-$((6*7))\n");
    await seen(t, "still-here-42");
    t.type("true\n"); // the shell reports the killed job at its next prompt; then it lets us exit
    await seen(t, "Killed");
    t.type("exit 5\n");
    expect(await Promise.race([t.exited, pause(10_000).then(() => `no exit: ${JSON.stringify(t.out())}`)])).toBe(5);
  });

  it("2_job_control_of_the_shell_that_started_portolan_ctrl_z_then_fg", async () => {
    const t = onTerminal("", "bash --norc --noprofile -i");
    t.type("PS1='$ '; echo shell-ready\n");
    await seen(t, "shell-ready\r\n");
    t.type(`${BIN} exec -- sleep 30\n`);
    await pause(1200);
    t.type("\x1a"); // ^Z: the program stops by the terminal, portolan stops itself: bash sees the job stopped
    await seen(t, "Stopped");
    t.type("fg\n");
    await pause(500);
    t.type("\x03"); // ^C ends sleep (from the terminal); portolan passes its end on
    t.type("echo rc=$?\n");
    await seen(t, "rc=130");
    t.type("exit 0\n");
    expect(await t.exited).toBe(0);
  });

  it("3_docker_run_it_portolan_as_pid_1_ctrl_c_once", async () => {
    const root = new URL("../../", import.meta.url).pathname;
    const name = `signals-tty-${process.pid}`;
    const script = 'trap "echo CAUGHT-INT" INT; echo ready; while :; do if read line; then echo "got:$line"; exit 9; fi; done';
    const docker = ["docker", "run", "--rm", "-it", "--name", name, "--label", `${RUN_LABEL}=signals-tty`, "--network", "none",
      "-v", `${root}dist:/opt/portolan/dist:ro`, "-v", `${root}node_modules:/opt/portolan/node_modules:ro`, "-v", `${root}package.json:/opt/portolan/package.json:ro`,
      TESTBED.nodeImage, "node", "/opt/portolan/dist/src/cli/portolan.cjs", "exec", "--kill-timeout", "300ms", "--", "sh", "-c", script];
    const t = onTerminal("", docker.map(q).join(" "));
    try {
      await seen(t, "ready");
      t.type("\x03");
      await seen(t, "CAUGHT-INT");
      await pause(900);
      t.type("hello\n");
      expect(await t.exited).toBe(9);
      expect(t.out().match(/CAUGHT-INT/g)).toHaveLength(1);
      expect(t.out()).toContain("got:hello");
    } finally {
      execFileSync("docker", ["rm", "-f", name], { stdio: "ignore" });
    }
  });
});
