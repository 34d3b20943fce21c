// consul:// and consul+https://: the agent's address, CONSUL_HTTP_TOKEN, and CONSUL_CACERT / CONSUL_CLIENT_CERT /
// CONSUL_CLIENT_KEY (PEM text or a file path), as Consul's own CLI reads them.
import type { ConsulConnection } from "../../../adapters/consul/client.js";
import { hostPortUrl, UriSettings, type Env } from "./settings.js";

export type ConsulTarget = { scheme: "consul"; connection: ConsulConnection };

export function consulTarget(uri: string, secure: boolean, env: Env): ConsulTarget {
  const url = hostPortUrl(uri, "consul://HOST:PORT", "token: CONSUL_HTTP_TOKEN; TLS: consul+https:// and CONSUL_CACERT…");
  const s = new UriSettings(uri, env);
  const token = s.token("CONSUL_HTTP_TOKEN");
  const [ca, cert, key] = [s.pem("CONSUL_CACERT"), s.pem("CONSUL_CLIENT_CERT"), s.pem("CONSUL_CLIENT_KEY", true)];
  if ((cert === undefined) !== (key === undefined)) s.fail("a client certificate needs both CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY");
  const connection: ConsulConnection = { host: url.hostname.replace(/^\[|\]$/g, ""), port: url.port ? Number(url.port) : secure ? 8501 : 8500, secure };
  return { scheme: "consul", connection: { ...connection, ...(token && { token }), ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) } };
}
