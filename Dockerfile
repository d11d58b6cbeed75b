# plangate in a container:
#   docker build -t plangate .
#   docker run --rm -v "$PWD:/work" -w /work plangate check
# (add -v /var/run/docker.sock:/var/run/docker.sock for --backend docker).
#
# The build needs cgo for pg_query's C parser; the runtime stage is a small
# Debian holding the binary. Where no registry can be reached, build the
# base images from Debian packages first (.ci/build-images) and name them:
#   docker build --build-arg GO_IMAGE=plangate/golang:1.26 \
#                --build-arg RUNTIME_IMAGE=plangate/debian:bookworm -t plangate .
ARG GO_IMAGE=golang:1.26-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${GO_IMAGE} AS build
# Modules come through GOPROXY (--build-arg GOPROXY=... for a private one).
# Builds that cannot reach one take vendored modules from the context instead,
# without a vendor directory in the checkout:
#   tmp=$(mktemp -d) && go mod vendor -o "$tmp/vendor" &&
#   tar -c --exclude=./.git . -C "$tmp" vendor |
#     docker build --build-arg GOFLAGS=-mod=vendor [--build-arg ...] -t plangate -
ARG GOPROXY
ARG GOFLAGS
ENV CGO_ENABLED=1
WORKDIR /src
# pg_query's C parser is most of the build time: compile it in a layer that
# lasts as long as the modules do, from GOPROXY or from the context's vendor
# directory. The pattern vendo[r] matches nothing when there is none, and a
# directory it matches is copied by its contents, hence the destination:
# go.mod and go.sum land there too and are moved out.
COPY go.mod go.sum vendo[r] ./vendor/
RUN mv vendor/go.mod vendor/go.sum . && { rmdir vendor 2>/dev/null || true; } && \
    case "$GOFLAGS" in *-mod=vendor*) ;; *) go mod download ;; esac && \
    go build -trimpath github.com/pganalyze/pg_query_go/v6
COPY . .
# The version plangate --version reports: the release workflow passes the
# tag (--build-arg VERSION=v1.2.3).
ARG VERSION=dev
RUN go build -trimpath -ldflags="-s -w -X github.com/plangate/plangate/internal/cli.Version=${VERSION}" \
    -o /out/plangate ./cmd/plangate

FROM ${RUNTIME_IMAGE}
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
COPY --from=build /out/plangate /usr/local/bin/plangate
ENTRYPOINT ["plangate"]
