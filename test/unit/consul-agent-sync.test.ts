// AgentSync (adapters/consul/agent-sync.ts): whether our writes reached the servers' catalog, checked only after
// writes, and a stuck agent asked to sync again by rewriting one of our entries unchanged. The real agent's side
// (the read's URL and filter, the count of requests) is in test/integration/consul.test.ts; a leader lost during
// churn, in test/integration/fleet.test.ts.
import { describe, expect, it } from "vitest";
import { AgentSync } from "../../adapters/consul/agent-sync.js";
import { BackendAuthError, BackendUnavailableError } from "../../src/core/errors.js";
import { capturingLogger } from "../support/capturing-logger.js";

function setup(catalog: () => string[] | undefined | Error, held = new Set(["a", "b"])) {
  const { logger, lines } = capturingLogger();
  const reads: string[] = [];
  const rewrites: string[] = [];
  const sync = new AgentSync({
    catalogIds: async (node, owner) => {
      reads.push(`${node}/${owner}`);
      const r = catalog();
      if (r instanceof Error) throw r;
      return r;
    },
    rewrite: async (id) => {
      rewrites.push(id);
      return held.has(id);
    },
    logger,
  });
  const said = (level: number) => lines.filter((l) => l.level === level).map((l) => String(l.msg));
  return { sync, reads, rewrites, said };
}

describe("AgentSync", () => {
  it("0_reads_nothing_until_this_process_writes_and_nothing_more_once_the_catalog_agrees", async () => {
    const { sync, reads, rewrites } = setup(() => ["a", "b"]);
    await sync.check("o", ["a", "b"], "n1");
    expect(reads).toEqual([]);
    sync.wrote();
    await sync.check("o", ["a", "b"], "n1");
    await sync.check("o", ["a", "b"], "n1");
    expect([reads, rewrites]).toEqual([["n1/o"], []]);
  });

  it("1_a_removal_the_servers_missed_is_pushed_by_rewriting_one_held_entry_until_they_agree_and_logged_once_when_seen_twice", async () => {
    let catalog = ["a", "b", "gone"];
    const { sync, reads, rewrites, said } = setup(() => catalog, new Set(["b"]));
    sync.wrote();
    await sync.check("o", ["a", "b"], "n1");
    // "a" is not held by this process (written by an earlier one): the next is rewritten.
    expect(rewrites).toEqual(["a", "b"]);
    expect(said(40)).toEqual([]);
    await sync.check("o", ["a", "b"], "n1");
    await sync.check("o", ["a", "b"], "n1");
    expect(said(40)).toHaveLength(1);
    expect(said(40)[0]).toContain("asked it to sync again");
    catalog = ["a", "b"];
    await sync.check("o", ["a", "b"], "n1");
    await sync.check("o", ["a", "b"], "n1");
    expect(reads).toHaveLength(4);
    expect(said(30)).toEqual(["the agent's entries reached its servers again"]);
  });

  it("2_a_registration_the_servers_lack_is_a_difference_too_and_a_node_with_nothing_left_says_its_full_sync_will", async () => {
    const { sync, rewrites, said } = setup(() => ["x"]);
    sync.wrote();
    await sync.check("o", [], "n1");
    await sync.check("o", [], "n1");
    expect(rewrites).toEqual([]);
    expect(said(40)[0]).toContain("its next full sync will");
    const lacking = setup(() => []);
    lacking.sync.wrote();
    await lacking.sync.check("o", ["a"], "n1");
    expect(lacking.rewrites).toEqual(["a"]);
  });

  it("3_a_failed_read_is_tried_at_the_next_resync_and_a_refused_one_turns_the_check_off_with_one_line", async () => {
    let answer: string[] | Error = new BackendUnavailableError({ backend: "consul", message: "down" });
    const { sync, reads, said } = setup(() => answer);
    sync.wrote();
    await sync.check("o", ["a"], "n1");
    answer = new BackendAuthError({ backend: "consul", message: "Permission denied" });
    await sync.check("o", ["a"], "n1");
    answer = ["b"];
    await sync.check("o", ["a"], "n1");
    expect(reads).toHaveLength(2);
    expect(said(30)).toHaveLength(1);
    expect(said(30)[0]).toContain("node:read");
  });

  it("4_a_node_the_token_may_not_see_(an_empty_answer)_turns_the_check_off_too", async () => {
    const { sync, reads, rewrites, said } = setup(() => undefined);
    sync.wrote();
    await sync.check("o", ["a"], "n1");
    await sync.check("o", ["a"], "n1");
    expect([reads.length, rewrites, said(40), said(30).length]).toEqual([1, [], [], 1]);
  });

  it("5_without_the_node_name_nothing_is_read", async () => {
    const { sync, reads } = setup(() => []);
    sync.wrote();
    await sync.check("o", [], undefined);
    expect(reads).toEqual([]);
  });
});
