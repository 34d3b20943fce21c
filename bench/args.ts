// The flags of a bench script (node:util parseArgs): --help lists them with their defaults; a flag it does not
// know, or one without its value, is named on one line with exit 64, never a stack trace.
import { parseArgs, type ParseArgsConfig } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

export function benchArgs<const O extends Options>(name: string, options: O): ReturnType<typeof parseArgs<{ options: O; strict: true }>>["values"] {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    const lines = Object.entries(options).map(([flag, o]) => {
      const value = o.type === "string" ? " VALUE" : "";
      const def = o.default !== undefined && o.default !== false ? ` (default: ${String(o.default)})` : "";
      return `  --${flag}${value}${def}`;
    });
    process.stdout.write(`usage: npm run bench:${name} -- [flags]\n${lines.join("\n")}\n`);
    process.exit(0);
  }
  try {
    return parseArgs({ args: argv, options, strict: true }).values;
  } catch (e) {
    process.stderr.write(`bench:${name}: ${(e as Error).message.split("\n")[0]} (--help lists the flags)\n`);
    process.exit(64);
  }
}
