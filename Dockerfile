# syntax=docker/dockerfile:1
#
# intercept, headless, in a small image: the compiled binary on distroless (glibc), as a
# non-root user.
#
#   docker buildx build --platform linux/amd64,linux/arm64 \
#     --build-arg INTERCEPT_BUILD_COMMIT=$(git rev-parse HEAD) -t intercept .
#   docker run --rm -p 8080:8080 -v ./policy.yaml:/etc/intercept/policy.yaml:ro intercept \
#     -c /etc/intercept/policy.yaml --listen 0.0.0.0:8080 --auth-tokens ... --upstream https://...
#
# The health check asks http://127.0.0.1:$HEALTHCHECK_PORT/healthz (default 8080): it applies
# to --listen mode only. Run a stdio proxy (-- CMD) with `docker run --no-healthcheck`, or
# `HEALTHCHECK NONE` in a derived image.

ARG DENO_VERSION=2.9.6

# The builder runs on the build machine's own platform and cross-compiles for the target one
# (deno compile --target), so an arm64 image needs no emulation.
FROM --platform=$BUILDPLATFORM denoland/deno:${DENO_VERSION} AS build
ARG TARGETARCH
# There is no .git in the build context: the commit --version shows comes from here.
ARG INTERCEPT_BUILD_COMMIT=""
WORKDIR /src
COPY deno.json deno.lock ./
RUN deno install --frozen
COPY src/ src/
COPY tui/ tui/
COPY scripts/ scripts/
RUN case "$TARGETARCH" in \
      amd64) target=x86_64-unknown-linux-gnu ;; \
      arm64) target=aarch64-unknown-linux-gnu ;; \
      *) echo "No intercept build for TARGETARCH=$TARGETARCH (amd64 and arm64 only)" >&2; exit 1 ;; \
    esac \
 && INTERCEPT_BUILD_COMMIT="$INTERCEPT_BUILD_COMMIT" deno task compile --target "$target"

# A static busybox, for the health check's wget (distroless has no shell or HTTP client).
FROM busybox:1.37-musl AS busybox

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=busybox /bin/busybox /busybox/busybox
COPY --from=build /src/dist/intercept /usr/local/bin/intercept
USER nonroot:nonroot
ENV HEALTHCHECK_PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["/busybox/busybox", "sh", "-c", "exec /busybox/busybox wget -q -O /dev/null -T 4 \"http://127.0.0.1:${HEALTHCHECK_PORT}/healthz\""]
ENTRYPOINT ["/usr/local/bin/intercept"]
CMD ["--help"]
