// Watch of named services only (render/exec templates): one blocking query per service,
// GET /v1/health/service/<name>?index=…, as consul-template does for `service "x"`. Start-up reads only those
// services and a change to any other service costs nothing; a change to one of them costs its long poll's answer.
//
// With `access`, the first reads are also the reader's access check (no request of its own, as consul-template): a
// refused first read (403: a token unknown or lacking read) ends the watch with BackendAuthError instead of being
// retried. A token without service:read or node:read is not refused but filtered (an empty 200), so only when a
// first answer is empty and may be filtered (ACLs default to deny, or a token was given) is the check asked outright.
import { BackendAuthError } from "../../src/core/errors.js";
import type { CatalogSnapshot, Instance } from "../../src/core/model.js";
import type { Blocking } from "./client.js";
import type { ConsulHealthEntry } from "./types.js";
import { entriesToInstances, pollLoop, runWatch, sortedInstances, type WatchOptions } from "./watch-loop.js";

export interface NamedSource {
  /**
   * GET /v1/health/service/<name>, blocking on `index` (0: answer at once); only passing entries with `passingOnly`;
   * with `probe`, a refusal is left to the caller to report.
   */
  healthService(name: string, signal: AbortSignal, index?: number, waitMs?: number, passingOnly?: boolean, probe?: boolean): Promise<Blocking<ConsulHealthEntry[]>>;
}

/** The reader's access check, folded into the watch's first reads. */
export interface NamedAccessCheck {
  /** A token is sent: an empty answer may be its policy's filtering even where ACLs default to allow. */
  tokenGiven: boolean;
  /** Asks the agent outright (checkAccess("read")); throws BackendAuthError when the credentials are refused. */
  confirm: () => Promise<void>;
}

export interface NamedWatchOptions extends WatchOptions {
  passingOnly?: boolean;
  access?: NamedAccessCheck;
}

/**
 * Snapshots holding the instances of `names` only: the first once every name was read, then one per change. With
 * `passingOnly`, Consul leaves out every entry with a check that is not passing (`?passing`), as consul-template's
 * `service "x"` does: a health change costs the answer without the instance.
 */
export function watchNamed(src: NamedSource, names: readonly string[], opts: NamedWatchOptions, signal: AbortSignal): AsyncGenerator<CatalogSnapshot> {
  return runWatch(signal, opts, ({ opts: o, signal: s, requests, feed, fail }) => {
    const wanted = [...new Set(names)];
    const lists = new Map<string, Instance[]>();
    const invalidSeen = new Set<string>();
    const access = opts.access;
    // "reading" until every name was read once; "confirming" while the access check is asked outright.
    let stage: "reading" | "confirming" | "open" = "reading";
    let maybeFiltered = false;
    const confirm = async (check: NamedAccessCheck) => {
      try {
        await check.confirm();
      } catch (err) {
        if (err instanceof BackendAuthError) return fail(err);
        opts.logger.debug({ err: (err as Error).message }, "consul watch: credentials not checked");
      }
      stage = "open";
      publish();
    };
    const publish = () => {
      if (lists.size < wanted.length || stage === "confirming") return;
      if (stage === "reading" && access && maybeFiltered) {
        stage = "confirming";
        void confirm(access);
        return;
      }
      stage = "open";
      feed.publish(sortedInstances(lists.values()));
    };
    const read = async (name: string, index: number): Promise<Blocking<ConsulHealthEntry[]>> => {
      const first = access !== undefined && stage === "reading";
      try {
        const r = await requests.run((rs) => src.healthService(name, rs, index, opts.waitMs, opts.passingOnly === true, first));
        if (first && r.body.length === 0 && (r.aclDefault !== "allow" || access.tokenGiven)) maybeFiltered = true;
        return r;
      } catch (err) {
        if (first && err instanceof BackendAuthError) fail(err);
        throw err;
      }
    };
    publish(); // no names: an empty catalog at once
    return wanted.map((name) =>
      pollLoop<ConsulHealthEntry[]>(
        `service ${name}`,
        (index) => read(name, index),
        (body) => {
          lists.set(name, entriesToInstances(body, opts.logger, invalidSeen));
          publish();
        },
        o,
        s,
      ),
    );
  });
}
