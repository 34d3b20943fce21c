#!/bin/sh
# BEFORE: the image's entrypoint. Do not copy this: `eval` runs any $(...) or `...` inside a value,
# and a missing variable renders as an empty string (the -z checks cover only some of them).
[ -z "$MONGODB_URL" ] && echo "MONGODB_URL missing" && exit 1
[ -z "$APNS_AUTH_KEY" ] && exit 1
eval "echo \"$(cat /app/config.json.tmpl)\"" > /app/config.json
exec node /app/server.js
