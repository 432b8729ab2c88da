# titelive-etl: one image, one CLI, one entrypoint per stage (`titelive-etl <stage>`).
# Build stage: dev dependencies, TypeScript compiled to dist/.
FROM node:22.12.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --ignore-scripts
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts

# Runtime stage: production dependencies and the compiled CLI only, as a non-root user.
FROM node:22.12.0-bookworm-slim
LABEL org.opencontainers.image.title="titelive-etl" \
      org.opencontainers.image.description="Kubernetes-native batch ETL for the Titelive catalog" \
      org.opencontainers.image.source="https://example.invalid/titelive-etl" \
      org.opencontainers.image.licenses="UNLICENSED"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Numeric non-root user (the image's "node" user) so runAsNonRoot can verify it.
USER 1000:1000
# Node runs as PID 1 with no shell in between: SIGTERM reaches the job harness directly.
ENTRYPOINT ["node", "/app/dist/cli.js"]
CMD ["--help"]
