// Answers from DOCKER_HOST are untrusted: a field of the wrong type is a DockerAnswerError (retried like any other
// Docker failure), never a TypeError in the mapping (which crashed the registrator with exit 70 and a stack).
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { DockerAnswerError, parseInspect } from "../../src/docker/answers.js";
import { lines, parseDockerEvent } from "../../src/docker/engine.js";
import { containerToServices } from "../../src/docker/mapping.js";

const base = {
  Id: "c1",
  Name: "/web",
  Config: { Image: "img", Env: ["A=1"], Labels: { SERVICE_NAME: "web" }, ExposedPorts: { "80/tcp": {} } },
  State: { Running: true, ExitCode: 0 },
  NetworkSettings: { Ports: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "8080" }] }, Networks: { bridge: { IPAddress: "172.17.0.2" } } },
  HostConfig: { NetworkMode: "bridge" },
};
const opts = { hostname: "h1", internal: false, explicit: false, tags: [], maxServices: 100 };

const malformed: Array<{ case: string; body: unknown }> = [
  { case: "null", body: null },
  { case: "array", body: [] },
  { case: "Name a number", body: { ...base, Name: 5 } },
  { case: "State null", body: { ...base, State: null } },
  { case: "Running a string", body: { ...base, State: { Running: "yes" } } },
  { case: "label value a number", body: { ...base, Config: { ...base.Config, Labels: { SERVICE_NAME: 5 } } } },
  { case: "env entries not strings", body: { ...base, Config: { ...base.Config, Env: [1, null] } } },
  { case: "port bindings not a list", body: { ...base, NetworkSettings: { Ports: { "80/tcp": "x" } } } },
  { case: "a null binding", body: { ...base, NetworkSettings: { Ports: { "80/tcp": [null] } } } },
  { case: "HostPort a number", body: { ...base, NetworkSettings: { Ports: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: 8080 }] } } } },
  { case: "network mode an object", body: { ...base, HostConfig: { NetworkMode: {} } } },
  { case: "health status an object", body: { ...base, State: { Running: true, Health: { Status: {} } } } },
];

describe("parseInspect refuses what dockerd never sends", () => {
  malformed.forEach((c, i) => {
    it(`${i}_${c.case}`, () => {
      expect(() => parseInspect(JSON.stringify(c.body), "/containers/c1/json")).toThrow(DockerAnswerError);
    });
  });
  it(`${malformed.length}_the error names the field at fault`, () => {
    const text = JSON.stringify({ ...base, NetworkSettings: { Ports: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: 8080 }] } } });
    expect(() => parseInspect(text, "/containers/c1/json")).toThrow('NetworkSettings.Ports.80/tcp.0.HostPort: expected a string');
  });
  it(`${malformed.length + 1}_not JSON`, () => {
    expect(() => parseInspect("hello", "/containers/c1/json")).toThrow(DockerAnswerError);
  });
});

const accepted: Array<{ case: string; body: object; services: number }> = [
  { case: "dockerd's shape", body: base, services: 1 },
  { case: "nulls where dockerd writes null", body: { ...base, Config: { ...base.Config, Env: null, Labels: null, ExposedPorts: null }, NetworkSettings: { Ports: { "80/tcp": null }, Networks: null } }, services: 0 },
  { case: "extra fields pass through", body: { ...base, Platform: "linux", State: { ...base.State, Pid: 7 } }, services: 1 },
];

describe("parseInspect keeps dockerd's answers", () => {
  accepted.forEach((c, i) => {
    it(`${i}_${c.case}`, () => {
      const info = parseInspect(JSON.stringify(c.body), "/containers/c1/json");
      expect(containerToServices(info, opts).instances).toHaveLength(c.services);
    });
  });
});

describe("parseDockerEvent skips odd shapes", () => {
  const start = { Type: "container", Action: "start", Actor: { ID: "abc" } };
  const cases: Array<{ case: string; line: string }> = [
    { case: "timeNano not a number", line: JSON.stringify({ ...start, timeNano: "zz" }) },
    { case: "timeNano a fraction", line: JSON.stringify({ ...start, timeNano: 1.5 }) },
    { case: "time not a number", line: JSON.stringify({ ...start, time: "soon" }) },
    { case: "null", line: "null" },
    { case: "Action a number", line: JSON.stringify({ ...start, Action: 5, timeNano: 1 }) },
    { case: "Actor.ID a number", line: JSON.stringify({ ...start, Actor: { ID: 5 }, timeNano: 1 }) },
    { case: "network container an object", line: JSON.stringify({ Type: "network", Action: "connect", Actor: { Attributes: { container: {} } }, timeNano: 1 }) },
  ];
  cases.forEach((c, i) => {
    it(`${i}_${c.case}`, () => {
      expect(parseDockerEvent(c.line)).toBeUndefined();
    });
  });
});

async function collect(chunks: string[], maxLineChars: number): Promise<string[]> {
  const out: string[] = [];
  for await (const ev of lines(Readable.from(chunks), new AbortController().signal, maxLineChars)) out.push(ev.containerId);
  return out;
}

const ev = (id: string) => `${JSON.stringify({ Type: "container", Action: "start", Actor: { ID: id }, timeNano: 1 })}\n`;

describe("lines", () => {
  it("0_an event split across chunks", async () => {
    const line = ev("abc");
    expect(await collect([line.slice(0, 10), line.slice(10, 30), line.slice(30)], 1000)).toEqual(["abc"]);
  });
  it("1_a line over the limit is dropped, the next one is read", async () => {
    expect(await collect([ev("a"), "x".repeat(600), "y".repeat(600), "\n", ev("b")], 1000)).toEqual(["a", "b"]);
  });
  it("2_an endless line without a newline is not kept", async () => {
    // 64 chunks of 1 MiB with no newline: nothing buffered past the limit, and the next line still parses.
    const big = "x".repeat(1 << 20);
    const chunks = [...Array.from({ length: 64 }, () => big), "\n", ev("c")];
    expect(await collect(chunks, 4 << 20)).toEqual(["c"]);
  });
});
