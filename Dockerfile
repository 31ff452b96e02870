# syntax=docker/dockerfile:1
# semgate gateway image: compiled JavaScript, production dependencies only, non-root.
# Stateless: run as many replicas as you like behind a load balancer with REDIS_URL
# pointing at one Redis (shared rate limits, cache L2, usage). See docs/deployment.md and
# deploy/compose.yaml. scripts/prod-smoke.sh performs these same steps without Docker.
#
#   docker build -t semgate .
#   docker run -p 8080:8080 -v $PWD/my-config:/etc/semgate:ro semgate     # your config
#   docker run -p 8080:8080 -e SEMGATE_DEMO=1 semgate                     # the demo (public keys!)
#
# Without a configuration at /etc/semgate (catalog.yaml, sources.yaml, api-keys.yaml) the
# container refuses to start with one line saying what to mount, unless SEMGATE_DEMO=1.

# ---- build: compile the TypeScript sources and the portal's assets -------------------
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs scripts/build-portal.mjs ./scripts/
COPY portal ./portal
COPY src ./src
# dist/server/ (node's JavaScript and the JSON schemas it reads) and dist/portal/.
RUN npm run build

# ---- runtime: production dependencies and the build, nothing else -----------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    SEMGATE_CONFIG_DIR=/etc/semgate \
    PORT=8080 \
    SEMGATE_AUDIT_SPOOL=/var/lib/semgate/audit-spool.jsonl
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist ./dist
# The demo, served only when SEMGATE_DEMO=1: its keys (sk_demo_admin among them) are
# public, so it is never the default configuration. /etc/semgate stays empty until mounted.
COPY catalog.yaml sources.yaml api-keys.yaml ./
COPY examples/demo/init.sql ./examples/demo/init.sql
# The audit spool (written only while the audit sink fails) needs a writable place.
RUN mkdir -p /etc/semgate /var/lib/semgate && chown node:node /var/lib/semgate
USER node
EXPOSE 8080
# /health is liveness (no key, no source); /ready needs a key and pings every source.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM: /ready answers 503, requests in flight finish (SEMGATE_DRAIN_TIMEOUT_MS, 20 s),
# the audit is flushed, pools are closed, exit 0. Give `docker stop -t` more than the drain.
STOPSIGNAL SIGTERM
CMD ["node", "dist/server/cli/main.js", "serve"]
