# The ctq container image: the static release binary, CA certificates and an
# empty /tmp, nothing else (no shell, no package manager, no base image to
# pull). Its build context is dist/image, which scripts/image prepares before
# it builds the image with docker, podman or buildah:
#
#   scripts/image ctq:0.1.0
#   docker run --rm ctq:0.1.0 version
#
# By hand: scripts/release dist/image/ctq, copy a CA bundle to
# dist/image/ca-certificates.crt, mkdir -m 1777 dist/image/tmp, then
# docker build -t ctq:0.1.0 -f Dockerfile dist/image.
FROM scratch
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY tmp /tmp
COPY ctq /usr/local/bin/ctq
# Compaction of an S3 lake stages files in $TMPDIR; the lake location must be
# given with --lake or CTQ_LAKE (the image has no home directory).
ENV TMPDIR=/tmp
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/ctq"]
