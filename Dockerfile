# semgate gateway image. Stateless: run as many replicas as you like behind a load
# balancer, with REDIS_URL pointing at one Redis so rate limits, the result cache's second
# level and usage statistics are shared. Mount your configuration at /config.
#   docker build -t semgate .
#   docker run -p 8080:8080 semgate                                  # the demo
#   docker run -p 8080:8080 -v $PWD/my-config:/config:ro -e SEMGATE_CONFIG_DIR=/config semgate
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production \
    SEMGATE_CONFIG_DIR=/app \
    PORT=8080 \
    SEMGATE_AUDIT_SPOOL=/var/lib/semgate/audit-spool.jsonl

COPY package.json package-lock.json ./
# tsx (a runtime dependency) loads the TypeScript sources: there is no build step to forget.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY bin ./bin
COPY src ./src
COPY examples/demo ./examples/demo
COPY catalog.yaml sources.yaml api-keys.yaml ./

# The audit spool (used only while an audit sink fails) needs a writable place.
RUN mkdir -p /var/lib/semgate && chown node:node /var/lib/semgate
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# SIGTERM flushes the audit buffer and drains pools before exit.
CMD ["node", "bin/semgate.js", "serve"]
