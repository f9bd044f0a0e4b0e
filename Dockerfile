# toychain: a proof-of-work blockchain node whose mining runs on every core.
#
#   docker build -t toychain .
#   docker run --init --rm -dp 5000:5000 toychain
#   docker run --init --rm -dp 5001:5000 toychain
#
# Settings come from TOYCHAIN_* variables or flags after the image name
# (docker run toychain --difficulty 20). State lives in the /data volume.

# Builder: compilers for the native kernel, dev dependencies for TypeScript and WebAssembly.
FROM node:20-bookworm AS build
WORKDIR /app
# Build the addon against this Node's own headers, with no download.
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json binding.gyp tsconfig.json tsconfig.build.json tsconfig.explorer.json ./
COPY src ./src
COPY workers ./workers
COPY explorer ./explorer
RUN npm ci && npm prune --omit=dev

# Runtime: the built node, its production dependencies, a non-root user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    TOYCHAIN_HOST=0.0.0.0 \
    TOYCHAIN_PORT=5000 \
    TOYCHAIN_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/workers ./dist/workers
# The docs' and the explorer's files and the portable kernel's WebAssembly (npm run build), then node-gyp's native kernel.
COPY --from=build /app/dist/assets ./dist/assets
COPY --from=build /app/build ./build
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 5000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.TOYCHAIN_PORT}/stats`).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/src/cli.js"]
