// `--log-format` and `--log-level` as commander options, for the commands that build their flags with commander
// alone (`dns`, `catalog`); their one declaration is in flag-table.ts.
import { Option } from "commander";
import { flagOption, LOG_FORMAT_FLAG, LOG_LEVEL_FLAG } from "./flag-table.js";

export function logFormatOption(): Option {
  return flagOption(LOG_FORMAT_FLAG, (flags, description) => new Option(flags, description));
}

export function logLevelOption(): Option {
  return flagOption(LOG_LEVEL_FLAG, (flags, description) => new Option(flags, description));
}
