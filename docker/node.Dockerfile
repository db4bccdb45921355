# The node target: node:http with cluster on the base image's Node.js 24. It has no runtime
# dependencies (package.json only pins the Node binary for the local runtime), so no npm install.
ARG BASE=node:24-slim
FROM ${BASE}
ENV NODE_ENV=production
WORKDIR /app
COPY package.json server.js ./
USER 10001:10001
ENV HOST=0.0.0.0 PORT=8080 WORKERS=1
EXPOSE 8080
CMD ["node", "server.js"]
