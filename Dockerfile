# VIBN image: one image for both processes. The default command runs the API; the worker service in
# docker-compose.yml runs the same image with the worker's command (`tsx workers/main.ts`).
#
# Pinned to the last Node 20 release on Debian bookworm (package.json asks for node >= 20.19).

# Build stage: node-pty (the console's terminal) compiles a native addon, which needs a compiler and Python;
# the web console is built here too. None of that toolchain ships in the final image.
FROM node:20.20.2-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies first, so editing source does not invalidate the npm layer. The lockfile is authoritative.
# This image's npm (10) ignores package.json's `allowScripts` and runs install scripts as usual.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# No compile step for the backend: tsx runs the TypeScript directly (it is a runtime dependency). `build`
# produces the web console (console/dist). Dev dependencies are dropped afterwards.
RUN npm run build \
 && npm prune --omit=dev \
 && npm cache clean --force

FROM node:20.20.2-bookworm-slim

# git: the worker clones, branches, commits and pushes project repositories.
# bubblewrap: the worker runs agent commands inside a bwrap sandbox.
# ca-certificates: HTTPS to git hosts and LLM providers.
# tini: a real PID 1 that forwards SIGTERM (so the worker can drain its activities) and reaps the
#   processes that sandboxed agent commands leave behind.
# acl, e2fsprogs: each project's disk (an ext4 image, writable by the sandbox user through a default ACL).
# slirp4netns, iproute2: the internet-only network of projects allowed the network.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client bubblewrap ca-certificates tini acl e2fsprogs slirp4netns iproute2 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY --from=build /app /app

# Runs as root on purpose: the worker mounts each project's disk and sets up the network namespaces, then
# starts bubblewrap as the unprivileged vibn-sandbox user (made on first start), never as root. The API does not need root, but sharing one image keeps the two processes identical.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    VIBN_HOME=/data/vibn \
    LOG_FORMAT=json \
    NPM_CONFIG_UPDATE_NOTIFIER=false
RUN mkdir -p /data/vibn

EXPOSE 3000

# Same as `npm run api`, but without npm in between: npm exits on SIGTERM without passing it on, which
# would leave the process to be killed mid-drain. tsx does pass it to the program it runs.
ENV PATH=/app/node_modules/.bin:$PATH
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["tsx", "api/server.ts"]
