# portolan itself, run the way registrators run (README "Running it on a host"):
#   docker build -t portolan .
#   docker run -d --name portolan --restart unless-stopped --network host \
#     -v /var/run/docker.sock:/var/run/docker.sock portolan up
# `up` = registrator + embedded registry + catalog (API, live page, /metrics) on 127.0.0.1:8700 of the host
# (host network: the registrator sees the host's name and addresses; loopback stays private).
#
# BASE is the image both stages start from (Node.js >= 20 with /bin/sh; the build stage also needs npm), and
# BUILD_BASE the build stage's alone (default: BASE). A host without registry access builds from images it has:
#   docker build --build-arg BASE=my/node:20 --build-arg BUILD_BASE=my/node-with-npm:20 -t portolan .
# (the test bed does this with its imported node image: scripts/testbed/image.sh).
ARG BASE=node:20-bookworm-slim
ARG BUILD_BASE=${BASE}

FROM ${BUILD_BASE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# Everything .dockerignore leaves (the build compiles src, adapters and bench, which imports a test helper).
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${BASE}
WORKDIR /opt/portolan
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY bin ./bin
ENTRYPOINT ["/opt/portolan/bin/portolan"]
CMD ["up"]
