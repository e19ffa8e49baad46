#!/bin/sh
# The build steps of the image (Dockerfile), as one script that the tests run too
# (test/package.test.ts, with ASM_PROM_OS_STEPS=skip and a temporary prefix).
#
#   docker-steps.sh TARBALL [PREFIX]
#
# TARBALL is the package as `npm pack` makes it; PREFIX is where `npm install --global` puts it
# (default /usr/local, the image's). The OS steps (openssl from Debian, clearing npm's cache) run
# unless ASM_PROM_OS_STEPS=skip: they change the machine, which only an image build may do.
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: docker-steps.sh TARBALL [PREFIX]  (exactly one tarball: remove older asm-prom-*.tgz)" >&2
  exit 2
fi
tarball=$1
prefix=${2:-/usr/local}
[ -f "$tarball" ] || { echo "docker-steps.sh: $tarball: no such file" >&2; exit 2; }
os_steps=${ASM_PROM_OS_STEPS:-run}

if [ "$os_steps" != skip ]; then
  # The chain verdict runs the openssl command; the slim image has only Node's embedded OpenSSL.
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssl ca-certificates >/dev/null
  rm -rf /var/lib/apt/lists/*
fi

# Only the runtime dependencies; no lifecycle scripts are needed (dist/ is in the tarball).
npm install --global --prefix "$prefix" --omit=dev --no-audit --no-fund --no-update-notifier "$tarball"

if [ "$os_steps" != skip ]; then
  npm cache clean --force 2>/dev/null
fi

# The image is usable: both commands answer, and openssl is there.
"$prefix/bin/asm-prom" --version
"$prefix/bin/kubectl-asm_prom" --help >/dev/null
openssl version
