// `portolan up`: the DNS shim (UDP+TCP) and the catalog (TCP) must not ask for one TCP port.
import { describe, expect, it } from "vitest";
import { checkListenersApart } from "../../src/cli/up.js";
import { UsageError } from "../../src/core/errors.js";

describe("checkListenersApart", () => {
  const rows: Array<[string, [string, number], [string, number], boolean]> = [
    ["same_host_same_port", ["127.0.0.1", 8600], ["127.0.0.1", 8600], false],
    ["dns_wildcard_v4", ["0.0.0.0", 8700], ["127.0.0.1", 8700], false],
    ["catalog_wildcard_v6", ["127.0.0.1", 8700], ["::", 8700], false],
    ["different_ports", ["127.0.0.1", 8600], ["127.0.0.1", 8700], true],
    ["different_hosts_same_port", ["127.0.0.1", 8600], ["127.0.0.2", 8600], true],
    ["both_ephemeral", ["127.0.0.1", 0], ["127.0.0.1", 0], true],
  ];
  rows.forEach(([name, [dh, dp], [ch, cp], ok], i) =>
    it(`${i}_${name}`, () => {
      const check = () => checkListenersApart({ host: dh, port: dp }, { host: ch, port: cp });
      if (ok) expect(check).not.toThrow();
      else expect(check).toThrow(UsageError);
    }),
  );
});
