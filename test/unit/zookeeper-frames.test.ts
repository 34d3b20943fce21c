// A ZooKeeper server killed while it sends an answer leaves half a frame in the client. node-zookeeper-client 1.1.3
// appended the next connection's handshake answer to it and threw from its socket handler, which ended the process
// (seen when the fleet test's ZooKeeper was killed in a burst of writes). A server of a few lines speaks the
// handshake: its first connection ends in the middle of a frame, its second is a good one.
import { createServer, type AddressInfo, type Socket } from "node:net";
import { createClient } from "node-zookeeper-client";
import { afterEach, describe, expect, it } from "vitest";
import { guardFrames } from "../../adapters/zookeeper/ops.js";

function connectResponse(): Buffer {
  const body = Buffer.alloc(36);
  body.writeInt32BE(0, 0); // protocol version
  body.writeInt32BE(4_000, 4); // session timeout
  body.writeBigInt64BE(0x1234n, 8); // session id
  body.writeInt32BE(16, 16); // password: 16 bytes
  const frame = Buffer.alloc(4);
  frame.writeInt32BE(body.length, 0);
  return Buffer.concat([frame, body]);
}

describe("zookeeper frames across connections", () => {
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on("error", () => {});
    s.once("data", () => {
      if (sockets.length === 1) {
        // Handshake answered, then a frame of 8 bytes of which 2 arrive, and the server is gone.
        s.write(Buffer.concat([connectResponse(), Buffer.from([0, 0, 0, 8, 1, 2])]), () => setTimeout(() => s.destroy(), 50));
      } else {
        s.write(connectResponse());
      }
    });
  });
  let close: (() => void) | undefined;
  afterEach(() => {
    close?.();
    for (const s of sockets) s.destroy();
    server.close();
  });

  it("0_a half frame left by a dead connection does not reach the next one: the client connects again", async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    const c = createClient(`127.0.0.1:${port}`, { sessionTimeout: 4_000, spinDelay: 10, retries: 0 });
    close = () => c.close();
    guardFrames(c);
    let connected = 0;
    const twice = new Promise<void>((resolve) => c.on("connected", () => ++connected === 2 && resolve()));
    c.connect();
    await Promise.race([twice, new Promise((r) => setTimeout(r, 3_000))]);
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    expect(connected).toBe(2);
  });
});
