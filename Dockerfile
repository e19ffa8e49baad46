# asm-prom in a container, for a Kubernetes Job or a CI step (docs/in-cluster.md).
#
#   npm pack                                  # makes asm-prom-<version>.tgz from this repository
#   docker build -t asm-prom:0.1.0 .
#   docker run --rm -v "$HOME/.kube:/home/node/.kube:ro" asm-prom:0.1.0 doctor -n monitoring
#
# Every build step is scripts/docker-steps.sh, which the tests run too.
FROM node:20-bookworm-slim

COPY scripts/docker-steps.sh asm-prom-*.tgz /tmp/asm-prom/
RUN sh /tmp/asm-prom/docker-steps.sh /tmp/asm-prom/asm-prom-*.tgz && rm -rf /tmp/asm-prom

# The image's non-root user "node", by number so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
WORKDIR /home/node
ENTRYPOINT ["asm-prom"]
CMD ["doctor", "--help"]
