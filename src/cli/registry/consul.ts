// consul:// and consul+https://: the agent's address, CONSUL_HTTP_TOKEN, and CONSUL_CACERT / CONSUL_CLIENT_CERT /
// CONSUL_CLIENT_KEY (PEM text or a file path), as Consul's own CLI reads them; one query parameter, servicePolls
// (the most per-service long polls of a whole-catalog watch).
import type { ConsulConnection } from "../../../adapters/consul/client.js";
import { RegistryUriError } from "../../core/errors.js";
import { splitServerUri } from "../../core/server-uri.js";
import { hostPortUrl, UriSettings, type Env } from "./settings.js";

export type ConsulTarget = { scheme: "consul"; connection: ConsulConnection; servicePolls?: number };

/** The most `servicePolls` taken (Consul's own default limit is 200 connections per client address). */
export const MAX_SERVICE_POLLS = 4096;

export function consulTarget(uri: string, secure: boolean, env: Env): ConsulTarget {
  const fail = (message: string): never => {
    throw new RegistryUriError({ uri: uri.replace(/\/\/[^@/]*@/, "//[redacted]@"), message });
  };
  const q = uri.indexOf("?");
  const { params } = splitServerUri(uri, uri.slice(0, uri.indexOf("://") + 3), ["servicePolls"], fail);
  const polls = params.get("servicePolls");
  const servicePolls = polls === undefined ? undefined : /^\d{1,4}$/.test(polls) ? Number(polls) : NaN;
  if (servicePolls !== undefined && !(servicePolls <= MAX_SERVICE_POLLS)) {
    fail(`servicePolls ${JSON.stringify(polls)} is not a whole number from 0 to ${MAX_SERVICE_POLLS} (0: never one long poll per service)`);
  }
  const url = hostPortUrl(q === -1 ? uri : uri.slice(0, q), "consul://HOST:PORT[?servicePolls=N]", "token: CONSUL_HTTP_TOKEN; TLS: consul+https:// and CONSUL_CACERT…");
  const s = new UriSettings(uri, env);
  const token = s.token("CONSUL_HTTP_TOKEN");
  const [ca, cert, key] = [s.pem("CONSUL_CACERT"), s.pem("CONSUL_CLIENT_CERT"), s.pem("CONSUL_CLIENT_KEY", true)];
  if ((cert === undefined) !== (key === undefined)) s.fail("a client certificate needs both CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY");
  const connection: ConsulConnection = { host: url.hostname.replace(/^\[|\]$/g, ""), port: url.port ? Number(url.port) : secure ? 8501 : 8500, secure };
  return {
    scheme: "consul",
    connection: { ...connection, ...(token && { token }), ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) },
    ...(servicePolls !== undefined && { servicePolls }),
  };
}
