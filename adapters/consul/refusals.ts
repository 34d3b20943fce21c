// Refusals shared through Consul's KV store: one key per host, `portolan/refusals/<host>` (its JSON document),
// written only when that host's set changes (a set emptied: the key removed); read by one blocking query on the
// prefix per catalog, so an idle catalog sends nothing but that long poll (it returns after its wait) and a change
// costs each catalog one read. The token needs `key_prefix "portolan/refusals/"`: write to publish, read to show.
import { decodeRefusals, encodeRefusals, sortHosts, type HostRefusals, type RefusalStore } from "../../src/core/refusals.js";
import { BackendAuthError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";
import { backoff, delay } from "../../src/core/util.js";
import type { ConsulClient } from "./client.js";

export const REFUSALS_PREFIX = "portolan/refusals/";

export class ConsulRefusals implements RefusalStore {
  constructor(
    private readonly client: ConsulClient,
    private readonly o: { waitMs: number; closing: AbortSignal; logger: Logger },
  ) {}

  async publish(doc: HostRefusals): Promise<void> {
    const key = `${REFUSALS_PREFIX}${encodeURIComponent(doc.host)}`;
    if (doc.refusals.length + doc.more === 0) await this.client.kvDelete("remove refusals of this host", key);
    else await this.client.kvPut("publish refusals of this host", key, JSON.parse(encodeRefusals(doc)));
  }

  /** Transient failures are retried here with backoff; refused credentials end the watch (BackendAuthError). */
  async *watch(signal?: AbortSignal): AsyncGenerator<HostRefusals[]> {
    const stop = signal ? AbortSignal.any([signal, this.o.closing]) : this.o.closing;
    let index = 0;
    let last: string | undefined;
    let attempt = 0;
    while (!stop.aborted) {
      let r;
      try {
        r = await this.client.kvList("read refusals", REFUSALS_PREFIX, index, this.o.waitMs, stop);
      } catch (err) {
        if (stop.aborted) return;
        if (err instanceof BackendAuthError) throw err;
        const retryInMs = backoff(attempt++);
        this.o.logger.warn({ err: (err as Error).message, retryInMs }, "consul: reading the refusals failed; retrying");
        await delay(retryInMs, stop);
        continue;
      }
      attempt = 0;
      // Consul's advice: an index that goes backwards (a restored snapshot) starts over.
      index = r.index < index ? 0 : Math.max(1, r.index);
      const docs = sortHosts(
        (r.body ?? []).flatMap((e) => {
          if (!e.Key.startsWith(REFUSALS_PREFIX) || e.Value === null) return [];
          const doc = decodeRefusals(safeDecode(e.Key.slice(REFUSALS_PREFIX.length)), Buffer.from(e.Value, "base64").toString("utf8"));
          return doc && doc.refusals.length + doc.more > 0 ? [doc] : [];
        }),
      );
      const text = JSON.stringify(docs);
      if (text === last) continue;
      last = text;
      yield docs;
    }
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
