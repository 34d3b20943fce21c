// Failures specific to the Consul adapter. Connection problems use the shared BackendUnavailableError.
import { InstanceRejectedError, PortolanError } from "../../src/core/errors.js";

/** Consul refused a request as invalid (HTTP 4xx): names the service and what Consul said. */
export class ConsulRequestError extends PortolanError {
  override name = "ConsulRequestError";
  readonly serviceId: string;
  readonly status: number;
  readonly consulMessage: string;
  constructor(opts: { serviceId: string; operation: string; status: number; consulMessage: string }) {
    super(`consul ${opts.operation} ${JSON.stringify(opts.serviceId)}: HTTP ${opts.status}: ${opts.consulMessage}`);
    this.serviceId = opts.serviceId;
    this.status = opts.status;
    this.consulMessage = opts.consulMessage;
  }
}

/** An instance that Consul would refuse (meta key rules, missing check target…); nothing was sent. Permanent. */
export class ConsulValidationError extends InstanceRejectedError {
  override name = "ConsulValidationError";
  readonly serviceId: string;
  readonly problems: string[];
  constructor(opts: { serviceId: string; problems: Array<{ key: string; reason: string }> }) {
    super({ backend: "consul", instanceId: opts.serviceId, key: opts.problems[0]?.key, reason: opts.problems.map((p) => p.reason).join("; ") });
    this.serviceId = opts.serviceId;
    this.problems = opts.problems.map((p) => p.reason);
  }
}

/** A ConsulOptions value that cannot be used (unreadable PEM file, conflicting options). */
export class ConsulOptionsError extends PortolanError {
  override name = "ConsulOptionsError";
  readonly option: string;
  constructor(opts: { option: string; message: string }) {
    super(`consul option ${opts.option}: ${opts.message}`);
    this.option = opts.option;
  }
}
