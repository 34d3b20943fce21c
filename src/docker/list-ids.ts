// The ids of GET /containers/json, read as the body streams in. dockerd puts every container's labels in that
// list, and labels are the container owner's to fill (dockerd took a 16 MiB label): parsing the whole list made
// one such container cost every resync a 16 MiB string and its parsed copy (RSS 57 -> 210 MB). This scanner keeps
// only the top-level `Id` values, so memory stays flat whatever the labels hold.
import { DockerAnswerError } from "./answers.js";

const ID = /^[A-Za-z0-9_.-]{1,128}$/;
const MAX_KEY = 16;

/** Feed chunks of the list's JSON text; `ids()` checks the end and returns the container ids in order. */
export class ListIdScanner {
  private depth = 0;
  private started = false;
  private inString = false;
  private escaped = false;
  /** At depth 2 (a container object): is the next string a key? */
  private expectKey = false;
  private key = "";
  private keyTooLong = false;
  /** Collecting the string value of a container's `Id`. */
  private capturing = false;
  private value = "";
  private objects = 0;
  private readonly found: string[] = [];

  constructor(private readonly path: string) {}

  push(chunk: string): void {
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i]!;
      if (this.inString) {
        this.inStringChar(ch);
        continue;
      }
      if (!this.started) {
        if (/\s/.test(ch)) continue;
        if (ch !== "[") throw new DockerAnswerError(this.path, "body", "not a JSON list");
        this.started = true;
        this.depth = 1;
        continue;
      }
      this.structural(ch);
    }
  }

  ids(): string[] {
    if (!this.started || this.depth !== 0 || this.inString) throw new DockerAnswerError(this.path, "body", "the list is cut short");
    if (this.found.length !== this.objects) throw new DockerAnswerError(this.path, "Id", "a container without an Id");
    return this.found;
  }

  private inStringChar(ch: string): void {
    if (this.escaped) {
      this.escaped = false;
      this.add(ch);
    } else if (ch === "\\") {
      this.escaped = true;
      this.add(ch);
    } else if (ch === '"') {
      this.inString = false;
      this.endString();
    } else this.add(ch);
  }

  private add(ch: string): void {
    if (this.capturing) {
      if (this.value.length <= 128) this.value += ch;
    } else if (this.depth === 2 && this.expectKey) {
      if (this.key.length < MAX_KEY) this.key += ch;
      else this.keyTooLong = true;
    }
  }

  private endString(): void {
    if (this.capturing) {
      this.capturing = false;
      if (!ID.test(this.value)) throw new DockerAnswerError(this.path, "Id", `${JSON.stringify(this.value.slice(0, 64))} is not a container id`);
      this.found.push(this.value);
      if (this.found.length > this.objects) throw new DockerAnswerError(this.path, "Id", "a container with two Ids");
    }
    // A key stays in `key` until its ':' arrives.
  }

  private structural(ch: string): void {
    if (this.depth === 1 && ch !== "{" && ch !== "]" && ch !== "," && !/\s/.test(ch)) {
      throw new DockerAnswerError(this.path, "body", "a list entry that is not an object");
    }
    switch (ch) {
      case '"':
        this.inString = true;
        if (this.depth === 2 && this.expectKey) {
          this.key = "";
          this.keyTooLong = false;
        } else if (this.depth === 2 && this.key === "Id" && !this.keyTooLong) {
          this.capturing = true;
          this.value = "";
        }
        return;
      case ":":
        if (this.depth === 2) this.expectKey = false;
        return;
      case ",":
        if (this.depth === 2) {
          this.expectKey = true;
          this.key = "";
        }
        return;
      case "{":
      case "[":
        this.depth++;
        if (this.depth === 2) {
          this.objects++;
          this.expectKey = true;
          this.key = "";
        }
        return;
      case "}":
      case "]":
        this.depth--;
        if (this.depth < 0) throw new DockerAnswerError(this.path, "body", "unbalanced JSON");
        if (this.depth === 1) this.key = "";
        return;
      default:
        // Numbers, true/false/null and whitespace: nothing to keep. A non-string Id value is caught by ids().
        if (this.depth === 2 && !this.expectKey && this.key === "Id" && !/[\s]/.test(ch)) {
          throw new DockerAnswerError(this.path, "Id", "not a string");
        }
    }
  }
}
