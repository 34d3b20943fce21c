// Failures specific to the etcd adapter. Connection problems use the shared BackendUnavailableError.
import { PortolanError } from "../../src/core/errors.js";

/** etcd refused a request as invalid (gRPC InvalidArgument, NotFound, FailedPrecondition…): what it said. */
export class EtcdRequestError extends PortolanError {
  override name = "EtcdRequestError";
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly etcdMessage: string,
  ) {
    super(`etcd ${operation}: HTTP ${status}: ${etcdMessage}`);
  }
}

/** An EtcdOptions value that cannot be used (a TTL out of range, a prefix that is no key prefix, half a pair). */
export class EtcdOptionsError extends PortolanError {
  override name = "EtcdOptionsError";
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`etcd option ${option}: ${message}`);
  }
}
