// The faults injected during churn. Each acts on one host (or the backend) and returns what it did, for the table,
// and the container changes it made itself (the churn's are counted by the churn).
import type { Fleet, Host } from "./fleet.js";
import { pause } from "./procs.js";

export interface FaultTiming {
  /** How long a host is cut off from its backend. */
  cutMs: number;
  zkSessionTimeoutMs: number;
}

/** Replaces `n` of the host's containers (same service, new name), as a script does while a host is unreachable. */
function replaceOn(fleet: Fleet, h: Host, n: number): number {
  let changes = 0;
  for (const c of h.engine.running().slice(0, n)) {
    h.engine.remove(c.id);
    fleet.startContainer(h, c.service);
    changes += 2;
  }
  return changes;
}

export async function injectFault(fleet: Fleet, name: string, o: FaultTiming): Promise<{ note: string; extra: number }> {
  const n = fleet.hosts.length;
  const host = (i: number) => fleet.hosts[Math.min(i, n - 1)]!;
  switch (name) {
    case "consul-leader-kill":
    case "zk-leader-kill": {
      const k = await (fleet.consul ?? fleet.zk)!.killLeader(5000);
      return { note: `SIGKILL ${k.killed}; the others had a new leader after ${k.electedMs ?? "NOT"} ms; it restarted after 5 s`, extra: 0 };
    }
    case "agent-restart": {
      const a = host(1).agent!;
      await fleet.consul!.restartAgent(a);
      return { note: `${a.name} (hosts ${fleet.hosts.filter((h) => h.agent === a).map((h) => h.i).join(",")}) SIGTERM and started again`, extra: 0 };
    }
    case "zk-session-expiry": {
      // The hosts' links stall (nothing reset) past the session timeout: the ensemble expires their sessions while
      // their registrators hold writes; on restore each finds its session gone.
      const victims = [host(1), host(2)].filter((h, i, all) => all.indexOf(h) === i);
      for (const h of victims) for (const px of h.proxies) px.cut();
      let extra = 0;
      for (const h of victims) extra += replaceOn(fleet, h, 2);
      await pause(o.zkSessionTimeoutMs + 3000);
      for (const h of victims) for (const px of h.proxies) px.restore();
      return { note: `${victims.map((h) => h.name).join(", ")}: no traffic for ${o.zkSessionTimeoutMs + 3000} ms (session timeout ${o.zkSessionTimeoutMs} ms), writes pending`, extra };
    }
    case "registrator-kill": {
      const h = host(2);
      h.registrator!.child.kill("SIGKILL");
      await h.registrator!.exited;
      const extra = replaceOn(fleet, h, 3);
      await pause(3000);
      fleet.startRegistrator(h, true);
      return { note: `${h.name}: SIGKILL, 3 containers replaced while down, restarted with --cleanup`, extra };
    }
    case "engine-restart": {
      const h = host(3);
      let extra = 0;
      await h.engine.restart(2000, () => (extra = replaceOn(fleet, h, 3)));
      return { note: `${h.name}: engine down 2 s, 3 containers replaced meanwhile, event history lost`, extra };
    }
    case "host-cutoff": {
      const h = host(n - 1);
      for (const px of h.proxies) px.cut();
      const extra = replaceOn(fleet, h, 3);
      await pause(o.cutMs);
      for (const px of h.proxies) px.restore();
      return { note: `${h.name}: cut off from its backend for ${o.cutMs / 1000} s, 3 containers replaced meanwhile`, extra };
    }
    default:
      throw new Error(`unknown fault ${name}`);
  }
}
