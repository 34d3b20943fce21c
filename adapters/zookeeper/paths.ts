// Znode names and paths: what ZooKeeper accepts, and where each format puts an entry.
import { ZnodeNameError } from "./errors.js";

/** Characters ZooKeeper refuses in a path (PathUtils.validatePath). */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\ud800-\uf8ff\ufff0-\uffff]/;

/** Why `name` cannot be one znode name, or undefined if it can. */
export function znodeNameProblem(name: string): string | undefined {
  if (name === "") return "empty";
  if (name === "." || name === "..") return "is a relative path component";
  if (name.includes("/")) return "contains '/'";
  if (FORBIDDEN.test(name)) return "contains a character ZooKeeper refuses";
  return undefined;
}

export function assertZnodeName(name: string): void {
  const problem = znodeNameProblem(name);
  if (problem !== undefined) throw new ZnodeNameError({ value: name, message: problem });
}

/** An absolute path: "/" or "/a/b" with valid names and no trailing slash. */
export function isZnodePath(path: string): boolean {
  if (path === "/") return true;
  if (!path.startsWith("/")) return false;
  return path
    .slice(1)
    .split("/")
    .every((seg) => znodeNameProblem(seg) === undefined);
}

/** Suffix ZooKeeper appends to a sequential node: ten digits. */
const SEQUENCE = /_(\d{10})$/;

/** Nerve child prefix for an instance: nerve names children `<instance_id>_`; the instance id plays that role. */
export function nerveChildPrefix(id: string): string {
  return `${id}_`;
}

/** The instance id a nerve child name carries, or undefined for a name not made by a `<id>_` sequential create. */
export function nerveChildId(child: string): string | undefined {
  const m = SEQUENCE.exec(child);
  if (!m) return undefined;
  const id = child.slice(0, child.length - m[0].length);
  return id === "" ? undefined : id;
}

export function curatorDir(base: string, name: string): string {
  return `${base}/${name}`;
}

export function curatorPath(base: string, name: string, id: string): string {
  return `${base}/${name}/${id}`;
}

/** `<base>/<name>/services`: the directory synapse's zookeeper watcher lists. */
export function nerveDir(base: string, name: string): string {
  return `${base}/${name}/services`;
}
