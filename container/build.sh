#!/bin/sh
# Build ccxcli's container image from Debian's packages and the project's own wheels:
#
#   container/build.sh OUTDIR      (as root; needs mmdebstrap and umoci: apt-get install mmdebstrap umoci)
#
# OUTDIR/rootfs.tar   the root filesystem (Debian bookworm minbase, python3, ccxcli in /opt/ccxcli)
# OUTDIR/oci/         an OCI image layout, image "ccxcli" (load it with skopeo, docker or podman)
#
# No base image from any registry: the root filesystem is made by mmdebstrap from Debian's
# archive, and ccxcli with its dependencies is installed from wheels downloaded beforehand
# (pinned with hashes by requirements/runtime.txt, the same versions the tests install), with
# pip's --no-index: nothing inside the build root reaches the network.
set -eu

out=${1:?usage: container/build.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
python=${PYTHON:-python3}
mirror=${MIRROR:-http://deb.debian.org/debian}
suite=${SUITE:-bookworm}

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "--- wheels (python 3.11, the suite's python3)"
"$python" -m pip download -q --disable-pip-version-check --require-hashes --only-binary=:all: \
    --python-version 3.11 --implementation cp --abi cp311 --abi abi3 --abi none \
    --platform manylinux_2_36_x86_64 --platform manylinux_2_34_x86_64 --platform manylinux_2_28_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform any \
    -d "$work/wheels" -r "$root/requirements/runtime.txt"
"$python" -m pip wheel -q --disable-pip-version-check --no-deps --no-build-isolation -w "$work/wheels" "$root"

echo "--- root filesystem ($suite from $mirror)"
rm -f "$out/rootfs.tar"
mmdebstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    --customize-hook="mkdir -p \"\$1/opt/wheels\"" \
    --customize-hook="sync-in '$work/wheels' /opt/wheels" \
    --customize-hook='chroot "$1" python3 -m venv /opt/ccxcli' \
    --customize-hook='chroot "$1" /opt/ccxcli/bin/pip install -q --no-index --no-cache-dir --disable-pip-version-check --find-links /opt/wheels ccxcli' \
    --customize-hook='rm -rf "$1/opt/wheels"' \
    --customize-hook='chroot "$1" /opt/ccxcli/bin/python -m compileall -q /opt/ccxcli' \
    --customize-hook='ln -s /opt/ccxcli/bin/ccx /opt/ccxcli/bin/ccx-ssm "$1/usr/local/bin/"' \
    --customize-hook="upload '$here/entrypoint' /usr/local/bin/ccx-entrypoint" \
    --customize-hook="upload '$here/healthcheck' /usr/local/bin/ccx-healthcheck" \
    --customize-hook='chmod 0755 "$1/usr/local/bin/ccx-entrypoint" "$1/usr/local/bin/ccx-healthcheck"' \
    --customize-hook='chroot "$1" useradd --uid 1000 --user-group --create-home --home-dir /home/ccx --shell /bin/sh ccx' \
    --customize-hook='mkdir -p "$1/lab" && chroot "$1" chown ccx:ccx /lab && chmod 0700 "$1/lab"' \
    --customize-hook='rm -rf "$1/var/lib/apt/lists/"* "$1/var/cache/apt/"*.bin' \
    "$suite" "$out/rootfs.tar" "$mirror"

echo "--- OCI image layout"
rm -rf "$out/oci"
umoci init --layout "$out/oci"
umoci new --image "$out/oci:ccxcli"
umoci unpack --image "$out/oci:ccxcli" "$work/bundle" >/dev/null
tar -xpf "$out/rootfs.tar" -C "$work/bundle/rootfs"
umoci repack --image "$out/oci:ccxcli" "$work/bundle"
version=$("$python" -c 'import sys; sys.path.insert(0, sys.argv[1]); import ccxcli; print(ccxcli.__version__)' "$root")
umoci config --image "$out/oci:ccxcli" \
    --config.user ccx --config.workingdir /lab --config.volume /lab \
    --config.exposedports 2222/tcp --config.exposedports 8443/tcp \
    --config.env CCX_HOME=/lab --config.env LANG=C.UTF-8 --config.env PATH=/opt/ccxcli/bin:/usr/local/bin:/usr/bin:/bin \
    --config.entrypoint /usr/local/bin/ccx-entrypoint --config.cmd ssh \
    --config.label org.opencontainers.image.title=ccxcli \
    --config.label org.opencontainers.image.version="$version" \
    --config.label org.opencontainers.image.description="Smart Licensing of a Cisco UCCX node and its SSM, emulated" \
    --os linux --architecture amd64
umoci gc --layout "$out/oci"
echo "Built $out/rootfs.tar and $out/oci (image ccxcli $version)."
