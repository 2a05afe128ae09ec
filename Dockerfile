# The ctq container image: the static release binary and CA certificates,
# nothing else (no shell, no package manager).
#
#   docker build -t ctq:0.1.0 --build-arg COMMIT=$(git rev-parse --short=12 HEAD) .
#   docker run --rm ctq:0.1.0 version
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=
ARG COMMIT=unknown
RUN CTQ_VERSION="$VERSION" CTQ_COMMIT="$COMMIT" ./scripts/release /out/ctq \
 && mkdir -m 1777 /out/tmp

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/tmp /tmp
COPY --from=build /out/ctq /usr/local/bin/ctq
# Compaction of an S3 lake stages files in $TMPDIR; the lake location must be
# given with --lake or CTQ_LAKE (the image has no home directory).
ENV TMPDIR=/tmp
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/ctq"]
