#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/vmm_image_boot.sh [NITROCHECK] [RUNS]
#
# Time to "root mounted" for the Debian 12 demo image: nitrocheck's VMM (the
# image as an EBS-style NVMe disk) against QEMU (-accel kvm -M q35, SeaBIOS,
# -device nvme) with the same kernel, initramfs, command line and image, in
# the same run (inside the KVM lab when this machine has no /dev/kvm). Both
# clocks start when the process is launched and stop at the guest's own
# "EXT4-fs (nvme0n1p1): mounted filesystem" line; each VM is then stopped.
# Target: ratio <= 0.5. The kernel and initramfs are copied out of the image
# once, beforehand, so neither side pays for reading the image's /boot.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NITROCHECK=$(realpath "${1:-$SRC/build/nitrocheck}")
RUNS=${2:-3}
# Writable inside the lab (KVMLAB_SHARE): the image's kernel and initramfs.
WORK=${NC_BENCH_DIR:-/var/tmp/nitrocheck-bench-image}

if [ -z "${KVMLAB_INSIDE:-}" ]; then
	mkdir -p "$WORK"
	img=$("$SRC/fixtures/build" demo 2>/dev/null | tail -n 1)
	env=${img%.*}.env
	# shellcheck disable=SC1090
	. "$env"
	echo "copying the kernel and initramfs out of $img" >&2
	rm -f "$WORK"/vmlinuz "$WORK"/initrd.img
	LIBGUESTFS_BACKEND=direct guestfish --ro -a "$img" -i \
		copy-out "/boot/vmlinuz-$DEFAULT_KERNEL" "/boot/initrd.img-$DEFAULT_KERNEL" "$WORK" >&2
	mv "$WORK/vmlinuz-$DEFAULT_KERNEL" "$WORK/vmlinuz"
	mv "$WORK/initrd.img-$DEFAULT_KERNEL" "$WORK/initrd.img"
	printf '%s\n' "$CMDLINE" >"$WORK/cmdline"
	printf '%s\n' "$img" >"$WORK/image"
	if [ ! -w /dev/kvm ]; then
		echo "no /dev/kvm: running the benchmark inside the KVM lab (nested KVM under TCG)" >&2
		exec env KVMLAB_SHARE=/var/tmp "$SRC/tests/kvmlab/run" \
			env TMPDIR=/tmp "$0" "$NITROCHECK" "$RUNS"
	fi
fi

KERNEL=$WORK/vmlinuz
INITRD=$WORK/initrd.img
IMAGE=$(cat "$WORK/image")
# The image's own command line, as `nitrocheck boot IMAGE` boots it: quiet
# dropped, the serial console last so it gets the kernel's messages.
CMDLINE="$(sed 's/\bquiet\b//g' "$WORK/cmdline") console=ttyS0 no_timer_check"

# Reads console lines on stdin; prints the seconds from T0 to the root file
# system's mount line, then kills PID (the VM) and drains the rest.
time_to_root() {
	local t0=$1 pidfile=$2 line found=""

	while IFS= read -r line; do
		if [ -z "$found" ] && [[ $line == *"EXT4-fs (nvme0n1p"*"mounted filesystem"* ]]; then
			found=$(echo "$EPOCHREALTIME - $t0" | bc -l)
			kill "$(cat "$pidfile")" 2>/dev/null || true
		fi
	done
	echo "${found:-nan}"
}

# tr is line-buffered (stdbuf -oL): into a pipe it would hold the line
# back until a block of later output or the exit, and time the VM late.
vmm_once() {
	local t0=$EPOCHREALTIME pidfile=$TMPW/vmm.pid
	{
		"$NITROCHECK" boot "$IMAGE" --kernel "$KERNEL" --initrd "$INITRD" \
			--cmdline "$(cat "$WORK/cmdline")" --append no_timer_check --no-net \
			--memory 1G --timeout 300 --console 2>&1 >/dev/null &
		echo $! >"$pidfile"
		wait
	} | stdbuf -oL tr -d '\r' | time_to_root "$t0" "$pidfile"
}

qemu_once() {
	local t0=$EPOCHREALTIME pidfile=$TMPW/qemu.pid
	{
		qemu-system-x86_64 -accel kvm -M q35 -cpu host -smp 2 -m 1024 -nodefaults \
			-no-user-config -display none -no-reboot -serial stdio \
			-kernel "$KERNEL" -initrd "$INITRD" -append "$CMDLINE" \
			-drive "file=$IMAGE,if=none,id=root,format=qcow2,snapshot=on" \
			-device nvme,drive=root,serial=vol0 </dev/null 2>/dev/null &
		echo $! >"$pidfile"
		wait
	} | stdbuf -oL tr -d '\r' | time_to_root "$t0" "$pidfile"
}

# Scratch space for results: the lab's host root is read-only, /tmp is not.
TMPW=$(mktemp -d)
trap 'rm -rf "$TMPW"' EXIT
vmm_times=() qemu_times=()
for i in $(seq "$RUNS"); do
	v=$(vmm_once)
	q=$(qemu_once)
	echo "run $i: nitrocheck VMM ${v}s, QEMU q35 + nvme ${q}s" >&2
	vmm_times+=("$v") qemu_times+=("$q")
done

median() {
	printf '%s\n' "$@" | grep -v nan | sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "nan"}'
}
vm=$(median "${vmm_times[@]}")
qm=$(median "${qemu_times[@]}")
ratio=nan
[ "$vm" != nan ] && [ "$qm" != nan ] && ratio=$(printf '%.3f' "$(echo "$vm / $qm" | bc -l)")

echo "time to root mounted from NVMe (median of $RUNS): nitrocheck VMM ${vm}s, QEMU -M q35 (SeaBIOS, -device nvme) ${qm}s"
echo "ratio: $ratio (target <= 0.5)"
