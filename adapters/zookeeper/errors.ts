// Failures local to the ZooKeeper adapter.
import { InstanceRejectedError } from "../../src/core/errors.js";

/** An instance id or service name that cannot be a znode name; nothing is written. Permanent. */
export class ZnodeNameError extends InstanceRejectedError {
  override name = "ZnodeNameError";
  readonly value: string;
  constructor(opts: { value: string; message: string; key?: string }) {
    super({ backend: "zookeeper", instanceId: opts.value, key: opts.key ?? "id", reason: `znode name ${JSON.stringify(opts.value)}: ${opts.message}` });
    this.value = opts.value;
  }
}
