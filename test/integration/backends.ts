// The real backends every registrator behaviour is proven against, and a write-counting wrapper.
import type { Instance, InstanceRef, Health } from "../../src/core/model.js";
import type { Registry } from "../../src/core/registry.js";
import { silentLogger } from "../../src/core/log.js";
import { openRegistry } from "../../src/cli/registry-uri.js";
import type { RegistratorOptions } from "../../src/registrator/registrator.js";
import { TESTBED } from "./testbed.js";

export interface Backend {
  name: string;
  uri: string;
}

export const BACKENDS: Backend[] = [
  { name: "memory", uri: "memory:" },
  { name: "consul", uri: `consul://${TESTBED.consul.host}:${TESTBED.consul.port}` },
  { name: "zk-curator", uri: `zk://${TESTBED.zkStandalone}/portolan-it-curator?format=curator` },
  { name: "zk-nerve", uri: `zk://${TESTBED.zkStandalone}/portolan-it-nerve?format=nerve` },
  { name: "eureka", uri: `eureka://${TESTBED.eureka.single}/eureka?poll=1s` },
  { name: "etcd", uri: `etcd://${TESTBED.etcd}/portolan-it` },
];

export function open(b: Backend): Promise<Registry> {
  return openRegistry(b.uri, { logger: silentLogger() });
}

/** Wraps a registry and counts the writes that go through it. */
export class CountingRegistry implements Registry {
  writes: string[] = [];
  constructor(readonly inner: Registry) {}
  get kind() {
    return this.inner.kind;
  }
  validate(i: Instance) {
    this.inner.validate(i);
  }
  register(i: Instance) {
    this.writes.push(`register:${i.id}`);
    return this.inner.register(i);
  }
  deregister(r: InstanceRef) {
    this.writes.push(`deregister:${r.id}`);
    return this.inner.deregister(r);
  }
  setHealth(r: InstanceRef, s: Health, o: string) {
    this.writes.push(`health:${r.id}:${s}`);
    return this.inner.setHealth(r, s, o);
  }
  listOwned(owner: string) {
    return this.inner.listOwned(owner);
  }
  watch(signal?: AbortSignal) {
    return this.inner.watch(signal);
  }
  close() {
    return this.inner.close();
  }
}

/** Registrator options for tests: this owner, published ports, fast retries, no periodic resync. */
export function registratorOptions(owner: string, over: Partial<RegistratorOptions> = {}): RegistratorOptions {
  return {
    owner,
    mapping: { hostname: owner, internal: false, explicit: false, tags: [] },
    cleanup: false,
    deregister: "always",
    resyncMs: 0,
    retryAttempts: -1,
    retryIntervalMs: 50,
    concurrency: 8,
    ...over,
  };
}
