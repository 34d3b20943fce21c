// The last step of a bounded shutdown (--deregister-on-exit): remove every entry of this owner, many at once,
// until a deadline; report what was removed and what is left for the next start or `--cleanup`.
import { settlesWithin, type Clock } from "../core/clock.js";
import type { Instance } from "../core/model.js";
import type { Registry } from "../core/registry.js";
import { mapBounded } from "../core/util.js";
import type { EventSink } from "./events.js";

export interface RemoveAllInput {
  registry: Registry;
  owner: string;
  /** Used when the backend cannot list this owner's entries in time. */
  known: Instance[];
  parallel: number;
  clock: Clock;
  deadline: number;
  emit: EventSink;
}

export async function removeAllWithin(i: RemoveAllInput): Promise<{ deregistered: number; left: string[]; finished: boolean }> {
  const remaining = () => Math.max(0, i.deadline - i.clock.now());
  let listed: Instance[] | undefined;
  await settlesWithin(i.clock, remaining(), i.registry.listOwned(i.owner).then((l) => (listed = l), () => undefined));
  const todo = listed ?? i.known;
  const left = new Set(todo.map((x) => x.id));
  let deregistered = 0;
  const all = mapBounded(todo, i.parallel, async (x) => {
    if (remaining() === 0) return;
    try {
      await i.registry.deregister({ id: x.id, name: x.name, owner: i.owner });
      left.delete(x.id);
      deregistered++;
      i.emit({ type: "deregistered", id: x.id, name: x.name, reason: "shutdown" });
    } catch (error) {
      i.emit({ type: "backend-error", op: "deregister", id: x.id, attempt: 0, error });
    }
  });
  const finished = await settlesWithin(i.clock, remaining(), all);
  return { deregistered, left: [...left].sort(), finished };
}
