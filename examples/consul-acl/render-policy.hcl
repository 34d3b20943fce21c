# ACL policy for `portolan render|exec --registry consul://…` (templates that list `services.NAME`):
#   consul acl policy create -name portolan-render -rules @render-policy.hcl
# Both rules are needed: without node read, Consul silently leaves the instances out of the catalog.
service_prefix "" {
  policy = "read"
}
node_prefix "" {
  policy = "read"
}
