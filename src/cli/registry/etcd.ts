// etcd:// and etcd+https://, with etcdctl's own variables: ETCDCTL_USER (`name` or `name:password`) and
// ETCDCTL_PASSWORD for username/password auth, ETCDCTL_CACERT / ETCDCTL_CERT / ETCDCTL_KEY for TLS (etcd+https://
// only). The password is masked in every line this process writes from here on.
import type { EtcdOptions } from "../../../adapters/etcd/options.js";
import { parseEtcdUri } from "../../../adapters/etcd/uri.js";
import { CONTROL_CHARS } from "../../core/control-chars.js";
import { UriSettings, type Env } from "./settings.js";

export type EtcdTarget = { scheme: "etcd"; options: EtcdOptions };

export function etcdTarget(uri: string, env: Env): EtcdTarget {
  const options: EtcdOptions = parseEtcdUri(uri);
  const s = new UriSettings(uri, env);
  const rawUser = env["ETCDCTL_USER"] || undefined;
  let password = env["ETCDCTL_PASSWORD"] || undefined;
  let user = rawUser;
  if (rawUser !== undefined && password === undefined && rawUser.includes(":")) {
    user = rawUser.slice(0, rawUser.indexOf(":"));
    password = rawUser.slice(rawUser.indexOf(":") + 1) || undefined;
  }
  if (password) s.mask(password);
  if (rawUser !== undefined && rawUser.includes(":") && rawUser !== user) s.mask(rawUser);
  if (user !== undefined && password === undefined) s.fail("ETCDCTL_USER needs a password: ETCDCTL_USER=name:password or ETCDCTL_PASSWORD");
  if (user === undefined && password !== undefined) s.fail("ETCDCTL_PASSWORD is set without ETCDCTL_USER");
  if (user !== undefined && CONTROL_CHARS.test(user)) s.fail("ETCDCTL_USER: contains a control character");
  if (password !== undefined && CONTROL_CHARS.test(password)) s.fail("ETCDCTL_PASSWORD: contains a control character");
  const [ca, cert, key] = [s.pem("ETCDCTL_CACERT"), s.pem("ETCDCTL_CERT"), s.pem("ETCDCTL_KEY", true)];
  if ((cert === undefined) !== (key === undefined)) s.fail("a client certificate needs both ETCDCTL_CERT and ETCDCTL_KEY");
  if (!options.secure && (ca !== undefined || cert !== undefined)) s.fail("ETCDCTL_CACERT/ETCDCTL_CERT are set: TLS needs etcd+https://");
  const settings = {
    ...options,
    ...(user !== undefined && password !== undefined && { user, password }),
    ...(ca !== undefined && { ca }),
    ...(cert !== undefined && key !== undefined && { cert, key }),
  };
  return { scheme: "etcd", options: settings };
}
