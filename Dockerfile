# syntax=docker/dockerfile:1
#
# Self-hosting image, two targets from one build:
#
#   web   (the default, last stage): the Next app as Next's standalone server (`node server.js`),
#         only the node_modules the server's files trace to. Run it with RUN_WORKER=0.
#   tools: the product's sources and production node_modules, for what runs through tsx from
#         source: `npm run worker`, `npm run ingest`, `npm run db:migrate`, `npm run admin:create`.
#
#   docker build -t entitled-web .
#   docker build --target tools -t entitled-tools .
#
# compose.yaml builds both. Both run as the image's unprivileged `node` user (uid 1000).

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# Every dependency (dev too: the build needs the Prisma CLI for `prisma generate`).
# --ignore-scripts: no dependency install script is needed (the client uses the pg driver adapter,
# no Prisma engine download); the one script that matters, the root's `generate`, runs explicitly.
FROM base AS deps
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY prisma.config.ts ./
COPY prisma/schema.prisma ./prisma/schema.prisma
RUN npm run generate

# Production dependencies only, for the tools target.
FROM base AS prod-deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# Next's standalone output: next.config.ts turns it on only when NEXT_OUTPUT=standalone.
FROM deps AS build
COPY . .
ENV NEXT_OUTPUT=standalone
RUN npm run build

FROM base AS tools
# npm runs a script through `sh -c`; Debian's sh (dash) stays between npm and the script and dies
# on SIGTERM, orphaning the worker. bash execs the script's single command instead, so `docker stop`
# reaches the worker through npm and it finishes the jobs in hand (checked outside a container).
ENV NODE_ENV=production \
    NPM_CONFIG_SCRIPT_SHELL=/bin/bash
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY scripts ./scripts
# lib/ carries the plan catalog (lib/lifecycle/plan-catalog.json); the generated Prisma client
# comes from the deps stage (lib/generated is not in the build context).
COPY lib ./lib
COPY --from=deps /app/lib/generated ./lib/generated
# The migrations `npm run db:migrate` applies, and the schema they come from.
COPY prisma ./prisma
USER node
CMD ["npm", "run", "worker"]

FROM base AS web
ENV NODE_ENV=production \
    HOSTNAME=0.0.0.0 \
    PORT=3000
COPY --from=build /app/.next/standalone ./
COPY --from=build /app/.next/static ./.next/static
# Read at run time from the working directory (lib/catalog-file.ts): copied by name rather than
# left to Next's file tracing (which happens to include it today).
COPY lib/lifecycle/plan-catalog.json ./lib/lifecycle/plan-catalog.json
# No public/ folder today; if one is added: COPY --from=build /app/public ./public
# Next writes its cache under .next/cache: the one place the server may write.
RUN mkdir -p .next/cache && chown node:node .next/cache
USER node
EXPOSE 3000
CMD ["node", "server.js"]
