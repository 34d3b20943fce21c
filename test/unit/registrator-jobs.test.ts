// The per-container job state machine on its own: what each container's next job starts from, and whom its end wakes.
import { describe, expect, it } from "vitest";
import type { ContainerInfo } from "../../src/docker/engine.js";
import { ContainerJobs, type ContainerPlan } from "../../src/registrator/jobs.js";
import { container } from "./fixtures/fake-docker.js";

const INFO: ContainerInfo = container("c", "web");
const PLAN: ContainerPlan = { ops: [{ type: "deregister", ref: { id: "x", name: "web" }, reason: "gone" }], origins: new Map() };

type Step = (j: ContainerJobs) => void;
const inspected = (info: ContainerInfo | undefined): Step => (j) => j.inspected("c", info);
const changed: Step = (j) => j.changed("c");
const yielded: Step = (j) => j.yielded("c", PLAN);
const took: Step = (j) => void j.take("c");

describe("ContainerJobs: what the next job starts from", () => {
  const table: Array<[string, Step[], ReturnType<ContainerJobs["take"]>]> = [
    ["nothing_known_inspects", [], { state: "fresh" }],
    ["a_resyncs_answer_is_used", [inspected(INFO)], { state: "prefetched", info: INFO }],
    ["a_resync_that_found_it_gone", [inspected(undefined)], { state: "prefetched", info: undefined }],
    ["the_answer_is_used_once", [inspected(INFO), took], { state: "fresh" }],
    ["an_event_drops_the_resyncs_answer", [inspected(INFO), changed], { state: "fresh" }],
    ["a_yielded_plan_is_applied_as_it_is", [yielded], { state: "yielded", plan: PLAN }],
    ["a_yielded_plan_is_applied_once", [yielded, took], { state: "fresh" }],
    ["an_event_drops_a_yielded_plan", [yielded, changed], { state: "fresh" }],
    ["a_resyncs_fresher_answer_drops_a_yielded_plan", [yielded, inspected(INFO)], { state: "prefetched", info: INFO }],
    ["a_slice_that_yields_after_a_resync_inspected_keeps_its_plan", [took, inspected(INFO), yielded], { state: "yielded", plan: PLAN }],
  ];
  table.forEach(([name, steps, want], i) =>
    it(`${i}_${name}`, () => {
      const j = new ContainerJobs();
      for (const s of steps) s(j);
      expect(j.take("c")).toEqual(want);
      expect(j.take("other")).toEqual({ state: "fresh" });
    }),
  );
});

describe("ContainerJobs: containers woken when a job is done", () => {
  it("0_woken_only_when_done_not_when_yielded_and_once", () => {
    const j = new ContainerJobs();
    j.wakeWhenDone("holder", ["a"]);
    j.wakeWhenDone("holder", ["b", "a"]);
    j.wakeWhenDone("other", []);
    expect(j.ended("holder", "yield")).toEqual([]);
    expect(j.ended("holder", "done")).toEqual(["a", "b"]);
    expect(j.ended("holder", "done")).toEqual([]);
    expect(j.ended("other", "done")).toEqual([]);
  });

  it("1_the_wake_list_survives_events_and_resyncs_of_the_holder", () => {
    const j = new ContainerJobs();
    j.wakeWhenDone("holder", ["a"]);
    j.changed("holder");
    j.inspected("holder", undefined);
    void j.take("holder");
    expect(j.ended("holder", "done")).toEqual(["a"]);
  });
});
