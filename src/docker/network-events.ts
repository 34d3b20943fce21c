// Network events of a container that is not running are left out before anything is inspected. dockerd connects a
// container to its networks while it starts, before its "start" event, and disconnects it after its "die": each
// such event cost an inspect (the one at connect waited on dockerd's lock of the starting container), and the start
// or die that follows inspects it anyway. A container that is not running registers nothing and keeps what it
// holds (--deregister on-success) whatever its networks, so only a running container's connect or disconnect can
// change a registration.
//
// What is running is known from the lists (a resync follows every connection of the stream) and the start and die
// events since. It errs on the side of inspecting: a container the set holds wrongly costs an inspect, as before; a
// running container it does not hold yet is one whose list is still on its way, and the resync then inspects it after
// that list, i.e. after the event.
import type { DockerEvent, DockerPort } from "./engine.js";

/** Actions after which a container runs (a paused container still runs). */
const RUNS = new Set(["start", "restart", "unpause"]);
/** Actions after which it does not. */
const STOPPED = new Set(["die", "destroy"]);
const NETWORK = new Set(["connect", "disconnect"]);

/** `docker` whose event stream leaves out connect and disconnect events of containers that are not running. */
export function withoutIdleNetworkEvents(docker: DockerPort): DockerPort {
  let running = new Set<string>();
  /** For each list in flight: the containers started since it was asked for (its answer may predate them). */
  const listing = new Set<Set<string>>();
  async function* filtered(stream: AsyncIterable<DockerEvent>): AsyncIterable<DockerEvent> {
    for await (const ev of stream) {
      if (RUNS.has(ev.action)) {
        running.add(ev.containerId);
        for (const started of listing) started.add(ev.containerId);
      } else if (STOPPED.has(ev.action)) running.delete(ev.containerId);
      else if (NETWORK.has(ev.action) && !running.has(ev.containerId)) continue;
      yield ev;
    }
  }
  return {
    async listRunning(signal) {
      const started = new Set<string>();
      listing.add(started);
      try {
        const ids = await docker.listRunning(signal);
        running = new Set([...ids, ...started]);
        return ids;
      } finally {
        listing.delete(started);
      }
    },
    inspect: (id, signal) => docker.inspect(id, signal),
    async events(sinceNano, signal) {
      return filtered(await docker.events(sinceNano, signal));
    },
  };
}
