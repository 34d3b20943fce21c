// Input limits of `render` / `exec`: everything is read into memory and the template step keeps a few copies of
// its input, so inputs are bounded and a file over its limit is refused before it is read (naming file and limit).
// The limits are far above what configuration files need; docs/render.md "Input limits" lists them.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { PortolanError } from "../core/errors.js";

const MiB = 1024 * 1024;
/** One env file, spec file or NAME_FILE file. */
export const MAX_CONFIG_FILE_BYTES = 1 * MiB;
/** One template source. */
export const MAX_TEMPLATE_BYTES = 1 * MiB;
/** One rendered output (a loop over a long list can multiply a template). */
export const MAX_OUTPUT_BYTES = 16 * MiB;

export function formatBytes(n: number): string {
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/** A file is larger than its limit: it was not read. `code` is EFBIG, like the errno errors beside it. */
export class InputTooLargeError extends PortolanError {
  override name = "InputTooLargeError";
  readonly code = "EFBIG";
  readonly path: string;
  readonly size: number;
  readonly limit: number;
  constructor(opts: { path: string; size: number; limit: number }) {
    super(`${opts.size} bytes, over the limit of ${formatBytes(opts.limit)}`);
    this.path = opts.path;
    this.size = opts.size;
    this.limit = opts.limit;
  }
}

/**
 * The input is not a regular file (a FIFO, socket or device): refused unread. A FIFO without a writer would block
 * the open, and a read from a pipe or terminal forever, in a synchronous call no signal can interrupt.
 */
export class NotRegularFileError extends PortolanError {
  override name = "NotRegularFileError";
  readonly code = "ENOTREG";
  readonly path: string;
  constructor(opts: { path: string; kind: string }) {
    super(`not a regular file (${opts.kind})`);
    this.path = opts.path;
  }
}

function fileKind(st: Stats): string {
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  return "not a file";
}

/**
 * Reads a UTF-8 regular file synchronously (small files at container start), refusing one larger than `limit` bytes
 * before reading it (a file that grows while read is cut at limit + 1 bytes and refused too), and anything but a
 * regular file (NotRegularFileError). Other errors keep Node's `code` (ENOENT, EACCES, EISDIR...).
 */
export function readTextLimited(path: string, limit: number): string {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (the type is checked on the open descriptor, so a file
  // swapped between a check and the read cannot slip through). It changes nothing for regular files.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const st = fstatSync(fd);
    if (!st.isFile() && !st.isDirectory()) throw new NotRegularFileError({ path, kind: fileKind(st) });
    const size = st.isFile() ? st.size : 0; // a directory reads as EISDIR below
    if (size > limit) throw new InputTooLargeError({ path, size, limit });
    const buf = Buffer.allocUnsafe(Math.max(size, 0) + 1);
    let n = 0;
    for (;;) {
      if (n === buf.length) break;
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    if (n > limit) throw new InputTooLargeError({ path, size: n, limit });
    if (n === buf.length) {
      // Size unknown from fstat (a /proc file) or the file grew: read on, up to the limit.
      const chunks = [buf];
      let total = n;
      const more = Buffer.allocUnsafe(64 * 1024);
      for (;;) {
        const r = readSync(fd, more, 0, more.length, null);
        if (r === 0) break;
        total += r;
        if (total > limit) throw new InputTooLargeError({ path, size: total, limit });
        chunks.push(Buffer.from(more.subarray(0, r)));
      }
      return Buffer.concat(chunks, total).toString("utf8");
    }
    return buf.toString("utf8", 0, n);
  } finally {
    closeSync(fd);
  }
}
