# Build: the TypeScript compiler is a development dependency; the image runs the compiled JS
# (measured ~10% faster on the topic matcher than running the sources through tsx; no compile at start).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
COPY bench ./bench
COPY web ./web
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
# The sources too: `npm run cli -- …` runs them through tsx (a runtime dependency) inside the container.
COPY tsconfig.json ./
COPY src ./src
COPY migrations ./migrations
# Served at /api/v1/openapi.json.
COPY docs/openapi.yaml ./docs/openapi.yaml
USER node
EXPOSE 3000
CMD ["node", "--enable-source-maps", "dist/src/main.js"]
