# ACL policy for `portolan registrator consul://…` (and `portolan up --registry consul://…`):
#   consul acl policy create -name portolan-registrator -rules @registrator-policy.hcl
#   consul acl token create -policy-name portolan-registrator   # its SecretID goes in CONSUL_HTTP_TOKEN
# Containers choose their service names, so the registrator may write every service.
service_prefix "" {
  policy = "write"
}
# What this host refuses now, shown by every catalog (without it the registrator says so once and goes on).
key_prefix "portolan/refusals/" {
  policy = "write"
}
