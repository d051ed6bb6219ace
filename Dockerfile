# sluice broker image: `docker compose up -d` builds it from this checkout.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Native codecs (zstd-napi) may need a compiler when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm rebuild zstd-napi
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./package.json
RUN mkdir -p /var/lib/sluice && chown node:node /var/lib/sluice
USER node
VOLUME /var/lib/sluice
EXPOSE 9092
# The broker's V8 heap flag (cli/broker-node-flags.ts), as Kafka's start script sets -Xms.
ENTRYPOINT ["node", "--initial-old-space-size=256", "/app/dist/cli/main.js"]
CMD ["broker"]
