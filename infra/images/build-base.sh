#!/usr/bin/env bash
# Builds a base image for the Trainyard images from Debian packages, as a `docker save` tarball that
# Jib uses as its base (from.image = tar://...): no Docker engine runs and no base image is pulled.
#
#   infra/images/build-base.sh jre      target/images/trainyard-base-jre.tar: Java 21, tini (the backend)
#   infra/images/build-base.sh worker   target/images/trainyard-base-worker.tar: the same plus python3
#                                       with Debian's torch, numpy, jinja2 (CPU-only torch: see docs/deploy.md)
#
# Needs mmdebstrap (apt-get install -y mmdebstrap) and root, or unprivileged user namespaces with
# subuids for mmdebstrap's unshare mode. Packages come from Debian's archive through apt.
# TRAINYARD_BASE_SUITE picks the Debian release (default trixie: bookworm has no Java 21);
# TRAINYARD_BASE_EXTRA_PACKAGES adds packages (comma-separated).
set -euo pipefail
cd "$(dirname "$0")/../.."

kind=${1:-}
suite=${TRAINYARD_BASE_SUITE:-trixie}
jre="ca-certificates,openjdk-21-jre-headless,tini"
case "$kind" in
  jre) packages=$jre ;;
  worker) packages="$jre,python3,python3-torch,python3-numpy,python3-jinja2,libopenblas0-openmp" ;;
  *) echo "usage: infra/images/build-base.sh jre|worker" >&2; exit 2 ;;
esac
packages+=${TRAINYARD_BASE_EXTRA_PACKAGES:+,$TRAINYARD_BASE_EXTRA_PACKAGES}
command -v mmdebstrap >/dev/null || { echo "build-base.sh needs mmdebstrap: apt-get install -y mmdebstrap" >&2; exit 1; }

out=target/images
mkdir -p "$out"
rootfs=$(mktemp "$out/rootfs-$kind.XXXXXX.tar")
trap 'rm -f "$rootfs"' EXIT

# essential: dpkg, coreutils, util-linux (setsid, unshare, setpriv for step containment) and little
# else; no apt in the image. Docs, man pages and locales are left out (update-alternatives still
# needs man1 to exist). Device nodes are left to the container runtime. The image's user is
# uid/gid 10001, as the chart's securityContext.
mmdebstrap --variant=essential --include="$packages" --skip=output/dev \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --essential-hook='mkdir -p "$1/usr/share/man/man1"' \
  --customize-hook='echo "trainyard:x:10001:10001:Trainyard:/tmp:/usr/sbin/nologin" >>"$1/etc/passwd"' \
  --customize-hook='echo "trainyard:x:10001:" >>"$1/etc/group"' \
  "$suite" "$rootfs"

python3 infra/images/docker-archive.py "$rootfs" "$out/trainyard-base-$kind.tar" "trainyard-base-$kind:$suite" \
  --env JAVA_HOME=/usr/lib/jvm/java-21-openjdk-amd64 --user 10001:10001
