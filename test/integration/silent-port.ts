// A backend that accepts connections on loopback, reads everything and answers nothing (a hung agent).
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";

let sink: Server | undefined;
const sockets: Socket[] = [];

/** Listens on 127.0.0.1 at a free port; `connected` resolves with the first connection. One at a time per test file. */
export async function silentPort(): Promise<{ port: number; connected: Promise<void> }> {
  let connected!: () => void;
  const first = new Promise<void>((r) => (connected = r));
  sink = createServer((s) => {
    sockets.push(s);
    s.on("data", () => {});
    connected();
  });
  await new Promise<void>((r) => sink!.listen(0, "127.0.0.1", r));
  return { port: (sink.address() as AddressInfo).port, connected: first };
}

/** Closes the silent port and every connection it accepted (afterEach). */
export async function closeSilentPort(): Promise<void> {
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise((r) => (sink ? sink.close(r) : r(undefined)));
  sink = undefined;
}
