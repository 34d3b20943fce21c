// Checks on where and how outputs are written, before anything is: special mode bits only when asked for,
// and each destination file written by exactly one output.
import { resolve } from "node:path";
import { DuplicateDestinationError, SpecialModeError } from "./run-errors.js";
import { SPECIAL_MODE_BITS } from "./writer.js";

/** One `--template` / `--template-dir` value as given, with its parsed MODE. */
export interface ModeSpec {
  flag: string;
  text: string;
  mode?: number;
}

/** Throws SpecialModeError for a MODE above 0777 (setuid, setgid, sticky) unless `allowSpecial`. */
export function checkSpecialModes(specs: ModeSpec[], allowSpecial: boolean): void {
  if (allowSpecial) return;
  for (const s of specs) if (s.mode !== undefined && (s.mode & SPECIAL_MODE_BITS) !== 0) throw new SpecialModeError({ flag: s.flag, text: s.text, mode: s.mode });
}

/** An output and the flag (and file) it came from, for messages. */
export interface DestinationOrigin {
  dest: string;
  origin: string;
}

/** Throws DuplicateDestinationError naming both origins when two outputs resolve to the same path. */
export function checkDuplicateDestinations(outputs: DestinationOrigin[]): void {
  const seen = new Map<string, string>();
  for (const o of outputs) {
    const abs = resolve(o.dest);
    const first = seen.get(abs);
    if (first !== undefined) throw new DuplicateDestinationError({ dest: abs, origins: [first, o.origin] });
    seen.set(abs, o.origin);
  }
}
