# portolan itself, run the way registrators run:
#   docker build -t portolan .
#   docker run -d --name portolan --network host -v /var/run/docker.sock:/var/run/docker.sock portolan up
# `up` = registrator + embedded registry + catalog (API, live page, /metrics) on 127.0.0.1:8700 of the host
# (host network: the registrator sees the host's name and addresses; loopback stays private). Another registry:
#   … portolan up --registry consul://127.0.0.1:8500 --ip 10.0.0.5
# Any non-loopback --listen needs --token (or PORTOLAN_CATALOG_TOKEN).
# The test bed builds the same layout with `docker import` (test/integration/catalog-image.ts), since no image
# registry is reachable there.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# Everything .dockerignore leaves (the build compiles src, adapters and bench, which imports a test helper).
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /opt/portolan
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY bin ./bin
ENTRYPOINT ["/opt/portolan/bin/portolan"]
CMD ["up"]
