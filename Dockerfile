# igflight in a container: `docker build -t igflight .`, then
#   docker run -p 50051:50051 -v igflight-data:/var/lib/igflight \
#     -e IGFLIGHT_ACCESS_TOKEN=… -e IGFLIGHT_AUTH_TOKENS=… igflight
# The entrypoint (deploy/docker-entrypoint.sh) serves on 0.0.0.0:50051 only with client credentials
# (IGFLIGHT_AUTH_TOKENS or IGFLIGHT_AUTH_FILE). `docker stop` sends SIGTERM: the server drains within
# --shutdown-grace (30s by default; docker's own stop timeout is 10s: use `docker stop -t 40`).
# This file is kept minimal: no image could be built where it was written (no container registry).

FROM rust:1.94-bookworm AS build
WORKDIR /src
COPY . .
# the `dist` profile: the binary people download (stripped, thin LTO)
RUN cargo build --locked --profile dist --bin igflight \
    && install -m 0755 target/dist/igflight /usr/local/bin/igflight

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/igflight --no-create-home igflight \
    && install -d -m 0700 -o igflight -g igflight /var/lib/igflight
COPY --from=build /usr/local/bin/igflight /usr/local/bin/igflight
COPY deploy/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
# the call ledger, hashtag budget, synced files and stored connections: one volume
ENV IGFLIGHT_DATA_DIR=/var/lib/igflight \
    IGFLIGHT_CONFIG_DIR=/var/lib/igflight/config
VOLUME /var/lib/igflight
USER igflight:igflight
EXPOSE 50051
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["serve"]
