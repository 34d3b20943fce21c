// Stand-in for the real push-server: reads the config.json portolan rendered, says so, and shuts down
// cleanly on SIGTERM (what `docker stop` sends; portolan forwards it).
const fs = require("node:fs");
const path = process.argv[2] || "/app/config.json";
const config = JSON.parse(fs.readFileSync(path, "utf8"));
console.log(`push-server: listening on ${config.port}, mongodb ${config.mongodb.url}, ${config.redis.length} redis, workers ${config.workers}`);
process.on("SIGTERM", () => {
  console.log("push-server: got SIGTERM, shutting down");
  process.exit(0);
});
setInterval(() => {}, 1 << 30);
