#!/usr/bin/env bash
# Build the Docker base image `audit/base:offline` from Debian packages alone.
#
# Why: reproductions run in containers, but a machine may reach no Docker registry (air-gapped CI,
# mirrors-only networks). Debian's package mirrors are usually reachable, so debootstrap a minimal
# Debian with Python 3 and pip, and import the tree as an image. Bookworm's python3 is 3.11, which
# matches the cp311 torch wheels of the wheelhouse.
#
# Needs root (debootstrap), debootstrap and a running Docker engine. Usage:
#   bash reproducers/docker/build_base.sh            # build unless the tag exists
#   AUDIT_BASE_REBUILD=1 bash reproducers/docker/build_base.sh
# Environment: AUDIT_BASE_TAG (default audit/base:offline), DEBIAN_SUITE (default bookworm),
# DEBIAN_MIRROR (default: the first Debian archive in this machine's apt sources, else
# http://deb.debian.org/debian).
set -euo pipefail

tag="${AUDIT_BASE_TAG:-audit/base:offline}"
suite="${DEBIAN_SUITE:-bookworm}"
packages="python3,python3-venv,python3-pip,ca-certificates"

# The mirror apt already uses on this machine (one-line or deb822 sources), never -security/-updates.
detect_mirror() {
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
        awk '/^[[:space:]]*#/ {next}
             $1 == "URIs:" {for (i = 2; i <= NF; i++) print $i}
             $1 == "deb" {for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) {print $i; break}}' |
        grep -E '/debian/?$' | head -n 1
}
mirror="${DEBIAN_MIRROR:-$(detect_mirror || true)}"
mirror="${mirror:-http://deb.debian.org/debian}"

if [[ "${AUDIT_BASE_REBUILD:-0}" != 1 ]] && docker image inspect "$tag" >/dev/null 2>&1; then
    echo "$tag exists ($(docker image inspect -f '{{.Id}}' "$tag")); AUDIT_BASE_REBUILD=1 rebuilds it"
    exit 0
fi
if [[ "$(id -u)" != 0 ]]; then
    echo "error: debootstrap needs root; run as root (e.g. sudo make docker-base)" >&2
    exit 1
fi
command -v debootstrap >/dev/null || { echo "error: debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "error: no Docker engine reachable (is dockerd running? DOCKER_HOST?)" >&2; exit 1; }

root="$(mktemp -d "${TMPDIR:-/var/tmp}/audit-base.XXXXXX")"
trap 'rm -rf "$root"' EXIT
start=$SECONDS

echo "debootstrap $suite (minbase + $packages) from $mirror"
debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" >"$root.log" 2>&1 || {
    tail -n 20 "$root.log" >&2
    rm -f "$root.log"
    echo "error: debootstrap failed (mirror $mirror)" >&2
    exit 1
}
rm -f "$root.log"

# Smaller image: no package lists, downloaded .debs or docs are needed at run time.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb "$root"/usr/share/doc/* \
    "$root"/usr/share/man/* "$root"/usr/share/locale/*
echo "deb $mirror $suite main" >"$root/etc/apt/sources.list"

tar --numeric-owner -C "$root" -c . | docker import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["python3"]' \
    --message "debootstrap $suite minbase + $packages from $mirror" \
    - "$tag" >/dev/null

docker run --rm --network none "$tag" python3 -c 'import sys, ensurepip, venv; print("python", sys.version.split()[0])'
echo "built $tag ($(docker image inspect -f '{{.Id}}' "$tag")) in $((SECONDS - start)) s"
