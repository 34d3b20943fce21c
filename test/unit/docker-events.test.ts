import { describe, expect, it } from "vitest";
import { parseDockerEvent } from "../../src/docker/engine.js";

const cases: Array<{ case: string; line: string; want: { containerId: string; action: string; timeNano: bigint } | undefined }> = [
  { case: "start", line: JSON.stringify({ Type: "container", Action: "start", Actor: { ID: "abc" }, time: 1, timeNano: 1000000001 }), want: { containerId: "abc", action: "start", timeNano: 1000000001n } },
  { case: "health status", line: JSON.stringify({ Type: "container", Action: "health_status: healthy", Actor: { ID: "abc" }, timeNano: 5 }), want: { containerId: "abc", action: "health_status", timeNano: 5n } },
  { case: "exec is noise", line: JSON.stringify({ Type: "container", Action: "exec_start: sh", Actor: { ID: "abc" }, timeNano: 5 }), want: undefined },
  { case: "network connect", line: JSON.stringify({ Type: "network", Action: "connect", Actor: { ID: "net", Attributes: { container: "abc" } }, timeNano: 7 }), want: { containerId: "abc", action: "connect", timeNano: 7n } },
  { case: "network create is noise", line: JSON.stringify({ Type: "network", Action: "create", Actor: { ID: "net" }, timeNano: 7 }), want: undefined },
  { case: "time only", line: JSON.stringify({ Type: "container", Action: "die", Actor: { ID: "abc" }, time: 3 }), want: { containerId: "abc", action: "die", timeNano: 3000000000n } },
  // A signal changes nothing by itself; a container that exits sends "die" (before "stop", which follows it).
  { case: "kill is noise", line: JSON.stringify({ Type: "container", Action: "kill", Actor: { ID: "abc", Attributes: { signal: "15" } }, timeNano: 8 }), want: undefined },
  { case: "stop is noise", line: JSON.stringify({ Type: "container", Action: "stop", Actor: { ID: "abc" }, timeNano: 9 }), want: undefined },
  { case: "garbage", line: "{not json", want: undefined },
  // dockerd's timeNano is beyond 2^53: JSON.parse makes it an inexact but whole number, still an event.
  { case: "timeNano beyond 2^53 as dockerd sends it", line: '{"Type":"container","Action":"die","Actor":{"ID":"abc"},"time":1764536400,"timeNano":1764536400123456789}', want: { containerId: "abc", action: "die", timeNano: BigInt(JSON.parse("1764536400123456789") as number) } },
];

describe("parseDockerEvent", () => {
  cases.forEach((c, i) => {
    it(`${i}_${c.case}`, () => {
      expect(parseDockerEvent(c.line)).toEqual(c.want);
    });
  });
});
