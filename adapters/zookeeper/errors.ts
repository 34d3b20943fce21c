// Failures local to the ZooKeeper adapter.
import { PortolanError } from "../../src/core/errors.js";

/** An instance id or service name that cannot be a znode name; nothing is written. */
export class ZnodeNameError extends PortolanError {
  override name = "ZnodeNameError";
  readonly value: string;
  constructor(opts: { value: string; message: string }) {
    super(`znode name ${JSON.stringify(opts.value)}: ${opts.message}`);
    this.value = opts.value;
  }
}
