#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/vmm/ena-e2e.sh BUILD_DIR [KVER]
#
# End to end: the real Linux ena driver of a Debian kernel against our ENA
# model, DHCP through libslirp and HTTP to IMDS, inside the KVM lab. Builds
# tests/vmm/ena_e2e.c against BUILD_DIR's libraries, an initramfs of static
# busybox + ena.ko + ena-guest-init, and runs it under tests/kvmlab/run.
# Exit status: ena_e2e's (0: every ENA/DHCP/IMDS milestone seen).
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath "${1:?usage: ena-e2e.sh BUILD_DIR [KVER]}")
KVER=${2:-6.1.0-56-amd64}
WORK=${ENA_E2E_WORK:-$SRC/../ena-e2e-work}
mkdir -p "$WORK"
WORK=$(realpath "$WORK")

cc -std=c11 -D_GNU_SOURCE -O1 -g -I"$SRC/src" -o "$WORK/ena_e2e" "$SRC/tests/vmm/ena_e2e.c" \
	"$BUILD/libncvmm.a" "$BUILD/libnccore.a" \
	$(pkg-config --libs slirp jansson libnbd libarchive libelf yaml-0.1) -lpthread

R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT
mkdir -p "$R/bin" "$R/proc" "$R/sys" "$R/dev"
cp "$(command -v busybox)" "$R/bin/busybox"
for a in sh mount insmod ip ifconfig route udhcpc sleep cat basename readlink awk \
	 poweroff echo nc printf head tail grep tr; do
	ln -s busybox "$R/bin/$a"
done
cp "$SRC/tests/vmm/ena-guest-init" "$R/init"
cp "$SRC/tests/vmm/ena-udhcpc.script" "$R/udhcpc.script"
modinfo -k "$KVER" -n ena | xargs -I{} sh -c 'case {} in *.xz) xz -dc {} ;; *.zst) zstd -dc {} ;; *) cat {} ;; esac' > "$R/ena.ko"
(cd "$R" && find . | cpio -o -H newc 2>/dev/null | gzip) > "$WORK/ena-initrd.gz"

KVMLAB_SHARE=$WORK "$SRC/tests/kvmlab/run" "$WORK/ena_e2e" "/boot/vmlinuz-$KVER" \
	"$WORK/ena-initrd.gz" "${ENA_E2E_TIMEOUT:-300}"
