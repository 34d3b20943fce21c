// Is any server of a ZooKeeper connect string listening? One plain TCP handshake per server, nothing sent.
import { connect } from "node:net";

/** Errors that mean "nobody is there" (as opposed to "slow"): the caller may give up at once. */
const NOBODY = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL", "ENOTFOUND", "EAI_AGAIN"]);

/** True unless every server of `connect` ("h1:p1,h2:p2") refuses (a handshake that is slow past `timeoutMs` counts as listening). */
export async function anyServerListening(connectString: string, timeoutMs: number): Promise<boolean> {
  const servers = connectString.split(",").map((s) => {
    const i = s.lastIndexOf(":");
    return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
  });
  const answers = await Promise.all(servers.map((s) => listening(s.host, s.port, timeoutMs)));
  return answers.some((a) => a);
}

function listening(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (up: boolean) => {
      clearTimeout(t);
      socket.destroy();
      resolve(up);
    };
    const t = setTimeout(() => done(true), timeoutMs);
    socket.once("connect", () => done(true));
    socket.once("error", (e: NodeJS.ErrnoException) => done(!NOBODY.has(e.code ?? "")));
  });
}
