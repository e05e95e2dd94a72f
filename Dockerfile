# BorderLink Gateway: production image (Node.js LTS, non-root, data on a volume).
FROM node:22-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY adapters ./adapters
COPY simulators ./simulators
COPY bench ./bench
COPY schemas ./schemas
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    BORDERLINK_DATA_DIR=/var/lib/borderlink \
    BORDERLINK_CONFIG=/etc/borderlink/config.yaml
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY schemas ./schemas
COPY adapters ./adapters
COPY config/default.yaml /etc/borderlink/config.yaml
RUN groupadd --system borderlink && useradd --system --gid borderlink --home /var/lib/borderlink borderlink \
 && mkdir -p /var/lib/borderlink && chown borderlink:borderlink /var/lib/borderlink
USER borderlink
VOLUME ["/var/lib/borderlink"]
# REST and the embedded MQTT broker; bind beyond loopback only with credentials configured.
EXPOSE 8080 1883
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:8080/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["start"]
