// `portolan catalog` output: tables, JSON shape, unknown service (pure render, no registry).
import { describe, expect, it } from "vitest";
import type { Instance } from "../../src/core/model.js";
import { UnknownServiceError } from "../../src/catalog/errors.js";
import { render } from "../../src/catalog/show.js";
import { CatalogState } from "../../src/catalog/state.js";

const inst = (id: string, over: Partial<Instance> = {}): Instance => ({
  id, name: "web", address: "10.0.0.1", port: 80, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner: "h1", ...over,
});

/** The catalog as `portolan catalog` holds it: a CatalogState fed one snapshot at `at` ms. */
function view(instances: Instance[], version: number, at = 0): CatalogState {
  const state = new CatalogState({ clock: () => at, eventLog: 0 });
  state.apply({ version, instances });
  return state;
}

describe("catalog render", () => {
  const list = [
    inst("h1:web-1:80", { tags: ["blue"], container: { id: "0123456789abcdef0123", name: "web-1" } }),
    inst("h2:web-2:80", { address: "fd00::2", health: "critical", owner: "h2" }),
    inst("h1:db-1:5432", { name: "db", port: 5432, tags: ["x\u001b[31mred"] }),
  ];
  const cases: { name: string; service?: string; filter?: object; json?: boolean; want: string }[] = [
    { name: "services table", want: "SERVICE  PASSING  INSTANCES  TAGS\ndb       1        1          x?[31mred\nweb      1        2          blue\n" },
    { name: "services filtered by health", filter: { health: "critical" }, want: "SERVICE  PASSING  INSTANCES  TAGS\nweb      0        1\n" },
    { name: "no match", filter: { host: "h9" }, want: "no services\n" },
    {
      name: "instances table, IPv6, no container",
      service: "web",
      want:
        "ID           ADDRESS       HEALTH    HOST  CONTAINER           TAGS\n" +
        "h1:web-1:80  10.0.0.1:80   passing   h1    web-1 0123456789ab  blue\n" +
        "h2:web-2:80  [fd00::2]:80  critical  h2    -\n",
    },
    { name: "services json", json: true, filter: { host: "h2" }, want: '{"version":7,"services":[{"name":"web","instances":1,"passing":0,"warning":0,"critical":1,"tags":[],"hosts":["h2"]}]}\n' },
    {
      name: "service json: the summary of every instance, the matching instances with since",
      service: "web",
      json: true,
      filter: { host: "h2" },
      want:
        '{"version":7,"service":{"name":"web","instances":2,"passing":1,"warning":0,"critical":1,"tags":["blue"],"hosts":["h1","h2"]},' +
        '"instances":[{"id":"h2:web-2:80","name":"web","address":"fd00::2","port":80,"protocol":"tcp","tags":[],"meta":{},"checks":[],"health":"critical","owner":"h2","since":"1970-01-01T00:00:00.000Z"}]}\n',
    },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${i}_${c.name}`, () => {
      expect(render(view(list, 7), { service: c.service, filter: c.filter ?? {}, json: c.json ?? false })).toBe(c.want);
    });
  }

  it("6_unknown service", () => {
    expect(() => render(view(list, 7), { service: "nope", filter: {}, json: false })).toThrow(UnknownServiceError);
  });
  it("7_no control character from a backend reaches the terminal (address and container id are any string in Consul)", () => {
    const hostile = [inst("h1:web-9:80", { address: "evil\u001b]2;pwned\u0007", container: { id: "\u001b[2J0123456789", name: "web-9" } })];
    const out = render(view(hostile, 1), { service: "web", filter: {}, json: false });
    // eslint-disable-next-line no-control-regex
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(out).toContain("evil?]2;pwned?:80");
  });
});
