// The only renderer stage that writes files. Writes only when content (or mode) changed; atomically
// (temp file in the same directory + rename), except where the destination is itself a mount point
// (a bind-mounted single file: rename would fail with EBUSY or break the mount), which is rewritten in place.
// Symlink policy, the same on every filesystem: the destination's directories are resolved to their real path
// (so a bind mount reached through a symlinked directory is found); a destination that is itself a symlink is
// replaced by a regular file (the link, never its target: nothing is written through a link, and O_NOFOLLOW
// guards the in-place path). Without an explicit MODE an existing file's mode is never loosened.
// fs.promises is loaded on first use: importing node:fs/promises costs ~3 ms at every container start.
import { constants as fsConstants, lstatSync, promises as fsp, readFileSync, realpathSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { OutputWriteError } from "./run-errors.js";

export const DEFAULT_MODE = 0o644;
/** Outputs that interpolate a secret variable default to owner-only. */
export const DEFAULT_SECRET_MODE = 0o600;

/** One output, rendered and validated in memory, ready to write. */
export interface PlannedOutput {
  dest: string;
  content: string;
  /** Explicit mode (`SRC:DEST:MODE`); unset = DEFAULT_MODE, or DEFAULT_SECRET_MODE when `usesSecret`. */
  mode?: number;
  usesSecret: boolean;
}

/** `rendered` (DidRender), `would-render` (dry run, WouldRender) or `unchanged` (content and mode equal). */
export type WriteStatus = "rendered" | "would-render" | "unchanged";
/** How a changed file was (or would be) written. */
export type WriteMethod = "rename" | "in-place" | "chmod";

export interface WriteResult {
  dest: string;
  status: WriteStatus;
  method?: WriteMethod;
  mode: number;
}

export interface WriteOptions {
  dryRun?: boolean;
  /** Mount points (absolute paths) — defaults to /proc/self/mountinfo; tests pass their own. */
  mountPoints?: Set<string>;
}

/** setuid, setgid and sticky: only with `--allow-special-modes` (see destinations.ts). */
export const SPECIAL_MODE_BITS = 0o7000;

/**
 * The mode an output gets: its explicit MODE as given; else the default (DEFAULT_SECRET_MODE when it uses a
 * secret, DEFAULT_MODE otherwise), narrowed by an existing file's mode, so an existing 0600 file stays 0600.
 */
export function effectiveMode(o: Pick<PlannedOutput, "mode" | "usesSecret">, existingMode?: number): number {
  if (o.mode !== undefined) return o.mode;
  const mode = o.usesSecret ? DEFAULT_SECRET_MODE : DEFAULT_MODE;
  return existingMode === undefined ? mode : mode & existingMode;
}

/** Parses an octal mode ("0600", "600", "0o600", "4755"); undefined if malformed or out of range. */
export function parseMode(text: string): number | undefined {
  const m = /^(?:0o?)?([0-7]{3,4})$/i.exec(text.trim());
  return m ? Number.parseInt(m[1]!, 8) : undefined;
}

function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** Mount points listed in /proc/self/mountinfo text (field 5; `\040`-style escapes decoded). */
export function parseMountPoints(mountinfo: string): Set<string> {
  const points = new Set<string>();
  for (const line of mountinfo.split("\n")) {
    const fields = line.split(" ");
    if (fields.length >= 5 && fields[4]) points.add(unescapeMountPath(fields[4]));
  }
  return points;
}

function readMountPoints(): Set<string> {
  try {
    return parseMountPoints(readFileSync("/proc/self/mountinfo", "utf8"));
  } catch {
    return new Set();
  }
}

/**
 * `dest` with its directories resolved to their real path (the last component is kept: a symlink there is
 * what gets replaced). Directories that do not exist yet are kept as written.
 */
export function realDestination(dest: string): string {
  const abs = resolve(dest);
  try {
    return join(realpathSync(dirname(abs)), basename(abs));
  } catch {
    return abs;
  }
}

/**
 * True when `path` (a real path, see realDestination) is a mount point: listed in mountinfo (catches
 * same-filesystem `mount --bind`), or on another device than its directory (a file bind-mounted from another
 * filesystem). A symlink never is: it is lstat'ed, not followed.
 */
export async function isMountPoint(path: string, mountPoints: Set<string>): Promise<boolean> {
  const abs = resolve(path);
  if (mountPoints.has(abs)) return true;
  try {
    const [file, dir] = await Promise.all([fsp.lstat(abs), fsp.stat(dirname(abs))]);
    return !file.isSymbolicLink() && file.dev !== dir.dev;
  } catch {
    return false;
  }
}

interface Existing {
  /** Whether it holds exactly the bytes to write (only read when the sizes are equal). */
  sameContent: boolean;
  mode: number;
  uid: number;
  gid: number;
  /** Hard links: above 1, a chmod would change another name's file too, so the file is replaced instead. */
  nlink: number;
}

// Reads are synchronous: a few small files at container start, where each async round trip costs more than the read.
// lstat: a symlink (or anything but a regular file) is no existing output; the rename replaces it. A file of
// another size differs and is not read (a multi-GB file at DEST would fill memory, and over 2 GiB fail the read).
function readExisting(dest: string, bytes: Buffer): Existing | undefined {
  try {
    const st = lstatSync(dest);
    if (!st.isFile()) return undefined;
    const sameContent = st.size === bytes.length && readFileSync(dest).equals(bytes);
    return { sameContent, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, nlink: st.nlink };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new OutputWriteError({ path: dest, cause: err });
  }
}

/** Rewrites a mount-point file in place (same inode, so the mount stays intact), never through a symlink. */
async function writeInPlace(dest: string, bytes: Buffer, mode: number): Promise<void> {
  const fh = await fsp.open(dest, fsConstants.O_WRONLY | fsConstants.O_TRUNC | fsConstants.O_NOFOLLOW);
  try {
    await fh.writeFile(bytes);
    await fh.chmod(mode);
  } finally {
    await fh.close();
  }
}

// The temp name needs no strong randomness ("wx" refuses an existing file); node:crypto is not worth its load time.
// It keeps at most 48 characters of the destination's name (at most 192 bytes in UTF-8), so it stays under the
// 255-byte NAME_MAX whenever the destination's own name does.
function tempName(dest: string): string {
  return join(dirname(dest), `.${basename(dest).slice(0, 48)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
}

/** Writes `content` to a new temp file beside `dest` (mode and, as root, the old file's owner); returns its path. */
async function stageTemp(dest: string, content: string, mode: number, existing: Existing | undefined): Promise<string> {
  const tmp = tempName(dest);
  try {
    await fsp.mkdir(dirname(dest), { recursive: true });
    await fsp.writeFile(tmp, content, { mode, flag: "wx" });
    await fsp.chmod(tmp, mode); // the umask may have cleared bits
    if (existing && process.getuid?.() === 0) await fsp.chown(tmp, existing.uid, existing.gid);
    return tmp;
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

/** What one output needs; `tmp` is set once its temp file is written (method "rename"). */
interface Planned {
  o: PlannedOutput;
  dest: string;
  existing: Existing | undefined;
  result: WriteResult;
  bytes: Buffer;
  tmp?: string;
}

async function planOne(o: PlannedOutput, opts: WriteOptions, mountPoints: () => Set<string>): Promise<Planned> {
  const dest = realDestination(o.dest);
  const bytes = Buffer.from(o.content, "utf8");
  const existing = readExisting(dest, bytes);
  const mode = effectiveMode(o, existing?.mode);
  const sameContent = existing !== undefined && existing.sameContent;
  const base = { o, dest, existing, bytes };
  if (sameContent && existing.mode === mode) return { ...base, result: { dest: o.dest, status: "unchanged", mode } };
  const mounted = existing !== undefined && (await isMountPoint(dest, mountPoints()));
  // A hard-linked file (not a mount) is replaced even for a mode change: chmod would reach its other names.
  const method: WriteMethod = sameContent && (mounted || existing.nlink === 1) ? "chmod" : mounted ? "in-place" : "rename";
  return { ...base, result: { dest: o.dest, status: opts.dryRun ? "would-render" : "rendered", method, mode } };
}

async function commitOne(p: Planned): Promise<void> {
  const { dest, result } = p;
  if (result.method === "chmod") await fsp.chmod(dest, result.mode); // a regular file (lstat'ed above), not a link
  else if (result.method === "in-place") await writeInPlace(dest, p.bytes, result.mode);
  else await fsp.rename(p.tmp!, dest);
}

/**
 * Writes every output whose content or mode differs from what is on disk, all or nothing as far as the filesystem
 * allows: every replaced file is first written to its temp file (where a full disk, a read-only filesystem or a
 * permission problem shows), and only when all are written are they renamed into place (in order), so a failure
 * leaves every destination as it was and no temp file behind. Callers render and validate all templates before
 * calling this, so a template error writes nothing either.
 */
export async function writeOutputs(outputs: PlannedOutput[], opts: WriteOptions = {}): Promise<WriteResult[]> {
  let mounts = opts.mountPoints;
  const mountPoints = () => (mounts ??= readMountPoints()); // read only when an existing file changes
  const plans: Planned[] = [];
  for (const o of outputs) plans.push(await planOne(o, opts, mountPoints));
  if (opts.dryRun) return plans.map((p) => p.result);
  const changed = plans.filter((p) => p.result.status === "rendered");
  let current: Planned | undefined;
  try {
    for (const p of changed) {
      current = p;
      if (p.result.method === "rename") p.tmp = await stageTemp(p.dest, p.o.content, p.result.mode, p.existing);
    }
    for (const p of changed) {
      current = p;
      await commitOne(p);
      p.tmp = undefined;
    }
  } catch (err) {
    await Promise.all(changed.map((p) => (p.tmp === undefined ? undefined : fsp.rm(p.tmp, { force: true }))));
    throw new OutputWriteError({ path: current!.o.dest, cause: err });
  }
  return plans.map((p) => p.result);
}
