# syntax=docker/dockerfile:1
# Scoreboard API image: compiled JavaScript (dist/), production dependencies only, non-root.
#   docker build -t scoreboard .
#   docker run -p 3000:3000 -e JWT_SECRET=... -e HMAC_SECRET_KEY=... \
#     -e DATABASE_URL=postgres://... -e REDIS_URL=redis://... scoreboard
# Without DATABASE_URL it runs the embedded mode with its database under DATA_DIR (/app/data:
# mount a volume there to keep it).

ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: every dependency, TypeScript -> dist/ ---------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- production dependencies only ---------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime --------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/app/data
WORKDIR /app
# The code stays owned by root (read-only for the service); only DATA_DIR is the service's.
COPY package.json package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY migrations ./migrations
COPY web ./web
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
# /health/ready answers 200 once the database answers. No curl in the slim image: node does it
# (over HTTPS, certificate unchecked, when TLS_CERT_FILE is set: it only asks the local process).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "const s=!!process.env.TLS_CERT_FILE;require(s?'node:https':'node:http').get({host:'127.0.0.1',port:process.env.PORT||3000,path:'/health/ready',rejectUnauthorized:false,timeout:4000},(r)=>process.exit(r.statusCode===200?0:1)).on('timeout',()=>process.exit(1)).on('error',()=>process.exit(1))"
# SIGTERM (docker stop) drains and closes gracefully, exit 0; node runs as PID 1 and handles it.
STOPSIGNAL SIGTERM
# bin/scoreboard.js runs dist/ when src/ is absent, as here.
CMD ["node", "bin/scoreboard.js", "start"]
