// GET /containers/json is scanned for its ids only: labels (the container owner's, megabytes if they like) are
// never kept, and a label or nested key named "Id" is not taken for a container id.
import { describe, expect, it } from "vitest";
import { DockerAnswerError } from "../../src/docker/answers.js";
import { ListIdScanner } from "../../src/docker/list-ids.js";

function scan(chunks: string[]): string[] {
  const s = new ListIdScanner("/containers/json");
  for (const c of chunks) s.push(c);
  return s.ids();
}

const list = JSON.stringify([
  { Id: "aaa", Names: ["/a"], Labels: { Id: "fake", "x\"Id": "y" }, Ports: [{ PrivatePort: 80 }] },
  { Names: ["/b"], Id: "bbb", Labels: { SERVICE_NAME: '"Id":"evil"' } },
]);

const ok: Array<{ case: string; chunks: string[]; want: string[] }> = [
  { case: "empty list", chunks: ["[]"], want: [] },
  { case: "ids in order, labels named Id ignored", chunks: [list], want: ["aaa", "bbb"] },
  { case: "one character per chunk", chunks: [...list], want: ["aaa", "bbb"] },
  { case: "whitespace everywhere", chunks: [' [ { "Id" : "ccc" , "Labels" : { } } ] \n'], want: ["ccc"] },
  { case: "escaped quotes in a label value", chunks: [JSON.stringify([{ Labels: { a: '\\"}],[{"Id":"x' }, Id: "ddd" }])], want: ["ddd"] },
];

describe("ListIdScanner reads the ids", () => {
  ok.forEach((c, i) => {
    it(`${i}_${c.case}`, () => {
      expect(scan(c.chunks)).toEqual(c.want);
    });
  });
  it(`${ok.length}_a 16 MiB label costs nothing kept`, () => {
    const big = JSON.stringify([{ Id: "eee", Labels: { SERVICE_X: "a".repeat(16 << 20) } }]);
    const chunks = Array.from({ length: Math.ceil(big.length / 65536) }, (_, k) => big.slice(k * 65536, (k + 1) * 65536));
    expect(scan(chunks)).toEqual(["eee"]);
  });
});

const bad: Array<{ case: string; body: string }> = [
  { case: "an object", body: '{"a":1}' },
  { case: "garbage", body: "hello" },
  { case: "an id that is a number", body: '[{"Id":5}]' },
  { case: "an id that is null", body: '[{"Id":null}]' },
  { case: "an entry without an id", body: '[{"Id":"a"},{"Names":[]}]' },
  { case: "an entry that is not an object", body: '["a"]' },
  { case: "cut short", body: '[{"Id":"a"}' },
  { case: "cut inside a string", body: '[{"Id":"a' },
  { case: "an id with a slash", body: '[{"Id":"../x"}]' },
  { case: "two ids in one entry", body: '[{"Id":"a","Id":"b"}]' },
];

describe("ListIdScanner refuses what dockerd never sends", () => {
  bad.forEach((c, i) => {
    it(`${i}_${c.case}`, () => {
      expect(() => scan([c.body])).toThrow(DockerAnswerError);
    });
  });
});
