// Parses filters from HTTP query parameters and CLI flags (one parser, so both reject the same inputs).
import { DNS_LABEL, isHealth } from "../core/model.js";
import { InvalidParameterError } from "./errors.js";
import type { InstanceFilter } from "./view.js";

const KNOWN = new Set(["service", "tag", "host", "health"]);

/** `params` as [name, value] pairs (URLSearchParams entries or CLI flags); unknown names are rejected when `strict`. */
export function parseFilter(params: Iterable<[string, string]>, strict = true): InstanceFilter {
  const f: InstanceFilter = {};
  const seen = new Set<string>();
  for (const [name, value] of params) {
    if (!KNOWN.has(name)) {
      if (strict) throw new InvalidParameterError({ parameter: name, message: "unknown parameter (known: service, tag, host, health)" });
      continue;
    }
    if (seen.has(name)) throw new InvalidParameterError({ parameter: name, message: "given more than once" });
    seen.add(name);
    if (value === "" || value.length > 512) throw new InvalidParameterError({ parameter: name, message: "must be 1 to 512 characters" });
    switch (name) {
      case "service":
        if (!DNS_LABEL.test(value)) throw new InvalidParameterError({ parameter: name, message: `${JSON.stringify(value)} is not a service name (a DNS label)` });
        f.service = value;
        break;
      case "health": {
        if (!isHealth(value)) throw new InvalidParameterError({ parameter: name, message: `${JSON.stringify(value)} is not one of passing, warning, critical` });
        f.health = value;
        break;
      }
      case "tag":
        f.tag = value;
        break;
      case "host":
        f.host = value;
        break;
    }
  }
  return f;
}
