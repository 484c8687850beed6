#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/vmm/nvme-e2e.sh NVME_E2E
#
# End to end: the real Linux nvme driver (generic Debian kernel, nvme as a
# module in a busybox initramfs, tests/vmm/nvme-guest-init) against the
# EBS-style NVMe model, once over a raw image and once over a qcow2 made
# from it. The images sit on a writable share (KVMLAB_SHARE) and the guest
# writes to the disk: the files must not change. Asserts what the guest saw
# (model, serial, PCI address, size, the bytes it read, a file on the ext4
# filesystem the disk holds, a file it wrote there after a remount, a raw
# write read back) and the device events. Runs inside the KVM lab when this
# machine has no /dev/kvm.
set -euo pipefail

NVME_E2E=$(realpath "$1")
SRC=${NC_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KVER=${NC_TEST_KVER:-$("$SRC/tests/newest-kver")}
KERNEL=/boot/vmlinuz-$KVER
# Not under /tmp: the lab gives the command a fresh tmpfs there.
WORK=${NC_BUILD_ROOT:-$SRC/build}/tests/nvme-e2e
mkdir -p "$WORK"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

[ -r "$KERNEL" ] || { echo "SKIP: $KERNEL not installed"; exit 77; }
command -v qemu-img >/dev/null || { echo "SKIP: qemu-img not installed"; exit 77; }
command -v mkfs.ext4 >/dev/null || { echo "SKIP: mkfs.ext4 not installed"; exit 77; }

initrd=$WORK/initramfs-$(sha256sum "$SRC/tests/vmm/nvme-guest-init" | cut -c1-12).gz
if [ ! -s "$initrd" ]; then
	"$SRC/fixtures/initramfs-busybox" "$KVER" "$initrd.tmp.gz" \
		"$SRC/tests/vmm/nvme-guest-init" nvme ext4 >/dev/null
	mv "$initrd.tmp.gz" "$initrd"
fi

# 32 MiB of ext4 holding an 8 MiB random file, a marker in sector 0 (ext4
# leaves the first 1024 bytes alone).
share=$WORK/share
rm -rf "$share" "$WORK/payload"
mkdir -p "$share" "$WORK/payload"
head -c $((8 * 1024 * 1024)) /dev/urandom >"$WORK/payload/payload"
md5_payload=$(md5sum <"$WORK/payload/payload" | cut -d' ' -f1)
mkfs.ext4 -q -F -b 4096 -d "$WORK/payload" "$share/disk.raw" 32M
printf 'NITROCHECK-NVME-E2E-DISK' | dd of="$share/disk.raw" conv=notrunc status=none
qemu-img convert -q -f raw -O qcow2 "$share/disk.raw" "$share/disk.qcow2"
md5_raw=$(md5sum <"$share/disk.raw" | cut -d' ' -f1)
sums_before=$(cd "$share" && md5sum disk.raw disk.qcow2)

run=()
if [ ! -w /dev/kvm ]; then
	echo "no /dev/kvm here: running inside the KVM lab" >&2
	run=("$SRC/tests/kvmlab/run")
fi

set +e
KVMLAB_SHARE=$share TMPDIR=/tmp "${run[@]}" /bin/sh -c '
	rc=0
	for img in "$3/disk.raw" "$3/disk.qcow2"; do
		echo "=== $img"
		"$0" "$1" "$2" "$img" 300 || rc=1
	done
	exit $rc' "$NVME_E2E" "$KERNEL" "$initrd" "$share" >"$WORK/out.txt" 2>"$WORK/err.txt"
rc=$?
set -e
echo "exit status $rc; output $WORK/out.txt" >&2
cat "$WORK/out.txt" >&2
[ $rc -eq 0 ] || { tail -n 20 "$WORK/err.txt" >&2; fail "nvme_e2e exited $rc"; }

sums_after=$(cd "$share" && md5sum disk.raw disk.qcow2)
[ "$sums_before" = "$sums_after" ] || fail "an image file changed: $sums_after"
echo "ok: image files unchanged"

check_section() {
	local img=$1 section
	section=$(awk -v img="=== $img" '$0 == img { on = 1; next } /^=== / { on = 0 } on' "$WORK/out.txt")
	expect() {
		local got
		got=$(grep -a -m1 "^$1: " <<<"$section" | cut -d' ' -f2-)
		[ "$got" = "$2" ] || fail "$img: $1: expected '$2', got '$got'"
		echo "ok: $img: $1 = $2"
	}
	expect NC-NVME-MODPROBE ok
	expect NC-NVME-MODEL "Amazon Elastic Block Store"
	expect NC-NVME-SERIAL vol0e2e0e2e0e2e0e2e0
	expect NC-NVME-FIRMWARE 1.0
	expect NC-NVME-PCI "0x1d0f:0x8061 0000:00:04.0"
	expect NC-NVME-SECTORS 65536
	expect NC-NVME-HEAD NITROCHECK-NVME-E2E-DISK
	expect NC-NVME-MD5 "$md5_raw"
	expect NC-NVME-FS-FILE "$md5_payload"
	expect NC-NVME-FS-WRITE ok
	expect NC-NVME-READBACK 0/1050112
	expect NC-NVME-DMESG 0
	for ev in nvme-enabled nvme-identified nvme-io-queues nvme-first-read; do
		grep -aq "^EV +[0-9.]*s $ev" <<<"$section" || fail "$img: no $ev event"
	done
	grep -aq '^IMAGE unchanged$' <<<"$section" || fail "$img: image changed"
}
check_section "$share/disk.raw"
check_section "$share/disk.qcow2"
