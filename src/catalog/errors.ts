// The catalog's failures; tests assert the class, never the message text.
import { PortolanError } from "../core/errors.js";

/** A query parameter or CLI filter with a value the catalog cannot use (HTTP 400, CLI exit 64). */
export class InvalidParameterError extends PortolanError {
  override name = "InvalidParameterError";
  readonly parameter: string;
  constructor(opts: { parameter: string; message: string }) {
    super(`${opts.parameter}: ${opts.message}`);
    this.parameter = opts.parameter;
  }
}

/** A service name with no instance (HTTP 404, CLI EXIT_NOINPUT). */
export class UnknownServiceError extends PortolanError {
  override name = "UnknownServiceError";
  readonly service: string;
  constructor(service: string) {
    super(`no service named ${JSON.stringify(service)}`);
    this.service = service;
  }
}
