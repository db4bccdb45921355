# The deno target: `deno serve --parallel` on the base image's Deno 2.
ARG BASE=denoland/deno:2.9.6
FROM ${BASE}
WORKDIR /app
COPY main.ts ./
USER 10001:10001
ENV HOST=0.0.0.0 PORT=8000 WORKERS=1 DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1 DENO_DIR=/tmp/deno
EXPOSE 8000
CMD ["sh", "-c", "DENO_JOBS=\"$WORKERS\" exec deno serve --parallel --host \"$HOST\" --port \"$PORT\" main.ts"]
