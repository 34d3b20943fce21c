// What a registrator integration case leaves behind, removed after each case (registered with afterEach): its
// process, its containers and networks, and the entries its owner holds in each registry it opened.
import { afterEach } from "vitest";
import type { Registry } from "../../src/core/registry.js";
import { stopCli, type Running } from "./cli.js";
import { removeNetworks, removeTestContainers } from "./docker.js";

export interface CaseState {
  /** The registrator the case started, stopped after it. */
  proc?: Running;
  /** Registries the case opened: `owner`'s entries are removed from each, then it is closed. */
  registries: Registry[];
}

/** State of the cases of one file, cleaned after each; `networks` is the name prefix of the networks they create. */
export function registratorCases(owner: string, networks?: string): CaseState {
  const state: CaseState = { registries: [] };
  afterEach(async () => {
    await stopCli(state.proc);
    state.proc = undefined;
    await removeTestContainers();
    if (networks !== undefined) await removeNetworks(networks);
    for (const r of state.registries.splice(0)) {
      for (const i of await r.listOwned(owner)) await r.deregister(i);
      await r.close();
    }
  });
  return state;
}
