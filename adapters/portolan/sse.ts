// A server-sent events parser (the WHATWG event-stream format): feed it text chunks, get whole events.
// Pure: no sockets, so it is tested byte by byte.

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/** Largest line or event (all its data lines) accepted: a catalog of 10,000 instances is about 6 MB. */
export const MAX_EVENT_CHARS = 64 * 1024 * 1024;

/** The stream sent a line or an event over MAX_EVENT_CHARS: not a portolan catalog, or a broken one. */
export class EventTooLargeError extends Error {
  override name = "EventTooLargeError";
}

export class SseParser {
  /** The current line's text so far (chunks without a line end). */
  private partial: string[] = [];
  private partialChars = 0;
  /** The last chunk ended with \r: a \n starting the next one belongs to it. */
  private skipLf = false;
  private data: string[] = [];
  private dataChars = 0;
  private event = "";
  private id: string | undefined;
  /** The last id seen (persists across events, as EventSource's lastEventId does). */
  lastEventId: string | undefined;

  constructor(private readonly maxChars = MAX_EVENT_CHARS) {}

  /** Forgets a half-read line or event (a new connection starts clean); lastEventId stays. */
  reset(): void {
    this.partial = [];
    this.partialChars = 0;
    this.skipLf = false;
    this.data = [];
    this.dataChars = 0;
    this.event = "";
    this.id = undefined;
  }

  /** Events completed by this chunk. Each character is looked at once, however long a line grows. */
  push(chunk: string): SseEvent[] {
    const out: SseEvent[] = [];
    let at = 0;
    if (this.skipLf && chunk.startsWith("\n")) at = 1;
    this.skipLf = false;
    for (;;) {
      const cr = chunk.indexOf("\r", at);
      const lf = chunk.indexOf("\n", at);
      const nl = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
      if (nl < 0) break;
      this.partial.push(chunk.slice(at, nl));
      const line = this.partial.join("");
      this.partial = [];
      this.partialChars = 0;
      if (line.length > this.maxChars) throw new EventTooLargeError(`event stream: a line over ${this.maxChars} characters`);
      at = nl + 1;
      if (chunk[nl] === "\r") {
        if (at === chunk.length) this.skipLf = true;
        else if (chunk[at] === "\n") at++;
      }
      const e = this.line(line);
      if (e) out.push(e);
    }
    if (at < chunk.length) {
      this.partialChars += chunk.length - at;
      if (this.partialChars > this.maxChars) throw new EventTooLargeError(`event stream: a line over ${this.maxChars} characters`);
      this.partial.push(chunk.slice(at));
    }
    return out;
  }

  private line(line: string): SseEvent | undefined {
    if (line === "") {
      if (this.data.length === 0) {
        this.event = "";
        return undefined;
      }
      const e = { id: this.id ?? this.lastEventId, event: this.event || "message", data: this.data.join("\n") };
      this.data = [];
      this.dataChars = 0;
      this.event = "";
      this.id = undefined;
      return e;
    }
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "data":
        this.dataChars += value.length + 1;
        if (this.dataChars > this.maxChars) throw new EventTooLargeError(`event stream: an event over ${this.maxChars} characters`);
        this.data.push(value);
        break;
      case "event":
        this.event = value;
        break;
      case "id":
        if (!value.includes("\0")) {
          this.id = value;
          this.lastEventId = value;
        }
        break;
      default:
        break; // retry and unknown fields: ignored
    }
    return undefined;
  }
}
