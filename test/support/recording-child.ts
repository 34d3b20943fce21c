// A Child whose signal()/stop() are recorded instead of reaching a process (pid 4242).
import { Child } from "../../src/render/child.js";

export class RecordingChild extends Child {
  readonly sent: string[] = [];
  override get pid(): number {
    return 4242;
  }
  constructor() {
    super({ command: "x", args: [], env: {}, reloadSignal: "SIGHUP", killSignal: "SIGTERM", killTimeoutMs: 1 });
  }
  override signal(sig: NodeJS.Signals): boolean {
    this.sent.push(`signal:${sig}`);
    return true;
  }
  override stop(sig: NodeJS.Signals = "SIGTERM") {
    this.sent.push(`stop:${sig}`);
    return Promise.resolve({ exitCode: 0, code: 0, signal: null });
  }
}

