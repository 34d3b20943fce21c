// Value checks for the spec's variable types: raw string -> typed value, or a reason.
// Reasons never contain the value (or any part of it): the caller decides whether the value may be quoted.

import { parseDuration } from "../core/util.js";
import type { HostPort } from "./types.js";
import { joinHostPort, splitHostPort } from "../core/host-port.js";

export const VARIABLE_TYPES = ["string", "int", "port", "bool", "url", "hostports", "enum", "duration"] as const;
export type VariableType = (typeof VARIABLE_TYPES)[number];

/** The per-type settings a check needs (a subset of VariableSpec). */
export interface TypeSettings {
  type: VariableType;
  min?: number;
  max?: number;
  values?: string[];
  schemes?: string[];
}

export type Checked = { ok: true; typed: unknown } | { ok: false; reason: string };

const BOOL: Record<string, boolean> = { true: true, false: false, "1": true, "0": false, yes: true, no: false, on: true, off: false };

const fail = (reason: string): Checked => ({ ok: false, reason });

function bounded(n: number, s: TypeSettings, what: string): Checked {
  if (s.min !== undefined && n < s.min) return fail(`is ${what} below the minimum ${s.min}`);
  if (s.max !== undefined && n > s.max) return fail(`is ${what} above the maximum ${s.max}`);
  return { ok: true, typed: n };
}

function checkPort(raw: string): number | undefined {
  if (!/^\d{1,5}$/.test(raw)) return undefined;
  const n = Number(raw);
  return n >= 1 && n <= 65535 ? n : undefined;
}

/** `host:port` or `[v6]:port` (port 1..65535); with `portOptional`, a bare host is accepted too (port 0). */
export function parseHostPort(entry: string, portOptional = false): HostPort | undefined {
  const hp = splitHostPort(entry, { minPort: 1, ...(portOptional && { defaultPort: 0 }) });
  return hp && { ...hp, hostPort: joinHostPort(hp.host, hp.port || undefined) };
}

function checkHostPorts(raw: string): Checked {
  const out: HostPort[] = [];
  const entries = raw.split(",");
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!.trim();
    if (e === "") return fail(`has an empty entry (number ${i + 1}) in its host:port list`);
    const hp = parseHostPort(e);
    if (!hp) return fail(`has an entry (number ${i + 1}) that is not host:port or [ipv6]:port with a port in 1..65535`);
    out.push(hp);
  }
  return { ok: true, typed: out };
}

// scheme://[userinfo@]hosts[/path?query#fragment] — hosts may be a comma list (mongodb://a:1,b:2/db).
const AUTHORITY = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#@]*@)?([^/?#]*)(.*)$/s;

function checkUrl(raw: string, schemes: string[] | undefined): Checked {
  let toParse = raw;
  const m = AUTHORITY.exec(raw);
  if (m && m[3]!.includes(",")) {
    // WHATWG URL has no multi-host authorities: check each host, then parse the URL with the first one.
    const hosts = m[3]!.split(",");
    if (hosts.some((h) => parseHostPort(h, true) === undefined)) return fail("is not a valid URL (bad host in its host list)");
    toParse = m[1]! + (m[2] ?? "") + hosts[0]! + m[4]!;
  }
  let url: URL;
  try {
    url = new URL(toParse);
  } catch {
    return fail("is not a valid URL");
  }
  if (schemes && schemes.length > 0) {
    const scheme = url.protocol.slice(0, -1).toLowerCase();
    if (!schemes.includes(scheme)) return fail(`is a URL whose scheme is not one of: ${schemes.join(", ")}`);
  }
  return { ok: true, typed: raw };
}

/** Checks a non-empty raw value against a type; returns the typed value or a value-free reason. */
export function checkType(raw: string, s: TypeSettings): Checked {
  switch (s.type) {
    case "string":
      return { ok: true, typed: raw };
    case "int": {
      if (!/^[+-]?\d+$/.test(raw)) return fail("is not an integer");
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) return fail("is an integer out of range");
      return bounded(n, s, "an integer");
    }
    case "port": {
      const n = checkPort(raw);
      if (n === undefined) return fail("is not a port number (1..65535)");
      return bounded(n, s, "a port");
    }
    case "bool": {
      const b = BOOL[raw.toLowerCase()];
      return b === undefined ? fail("is not a boolean (true/false, 1/0, yes/no, on/off)") : { ok: true, typed: b };
    }
    case "url":
      return checkUrl(raw, s.schemes);
    case "hostports":
      return checkHostPorts(raw);
    case "enum":
      return s.values?.includes(raw) ? { ok: true, typed: raw } : fail(`is not one of: ${(s.values ?? []).join(", ")}`);
    case "duration": {
      const ms = parseDuration(raw);
      return ms === undefined ? fail("is not a duration (like 250ms, 5s, 1m30s, 2h)") : { ok: true, typed: ms };
    }
  }
}
