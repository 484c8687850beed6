#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/vmm_boot.sh [NITROCHECK] [RUNS]
#
# Time to "init started" in nitrocheck's VMM against QEMU (-accel kvm -M q35,
# SeaBIOS) with the same kernel, initramfs and command line, in the same
# run (inside the KVM lab when this machine has no /dev/kvm), and the VMM's
# RSS beyond the guest RAM it touched. Targets: ratio <= 0.5, overhead
# <= 10 MiB. Both clocks start when the process is launched and stop when
# the console shows "Run /init as init process".
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NITROCHECK=$(realpath "${1:-$SRC/build/nitrocheck}")
RUNS=${2:-3}
KVER=${NC_TEST_KVER:-$("$SRC/tests/newest-kver")}
KERNEL=/boot/vmlinuz-$KVER
CMDLINE="console=ttyS0 panic=-1"
WORK=${NC_BENCH_DIR:-$SRC/build/bench-vmm}

if [ ! -w /dev/kvm ] && [ -z "${KVMLAB_INSIDE:-}" ]; then
	mkdir -p "$WORK"
	initrd=$WORK/initramfs.gz
	"$SRC/fixtures/initramfs-busybox" "$KVER" "$initrd" "$SRC/tests/vmm/guest-init" >/dev/null
	echo "no /dev/kvm: running the benchmark inside the KVM lab (nested KVM under TCG)" >&2
	NC_BENCH_INITRD=$initrd exec "$SRC/tests/kvmlab/run" "$0" "$NITROCHECK" "$RUNS"
fi

initrd=${NC_BENCH_INITRD:-}
if [ -z "$initrd" ]; then
	mkdir -p "$WORK"
	initrd=$WORK/initramfs.gz
	"$SRC/fixtures/initramfs-busybox" "$KVER" "$initrd" "$SRC/tests/vmm/guest-init" >/dev/null
fi

# Reads console lines on stdin; prints the seconds from T0 (EPOCHREALTIME)
# to the first "as init process" line, then drains the rest.
time_to_init() {
	local t0=$1 line found=""

	while IFS= read -r line; do
		if [ -z "$found" ] && [[ $line == *" as init process"* ]]; then
			found=$(echo "$EPOCHREALTIME - $t0" | bc -l)
		fi
	done
	echo "${found:-nan}"
}

vmm_once() {
	local t0=$EPOCHREALTIME out
	out=$(mktemp)
	{ "$NITROCHECK" boot --kernel "$KERNEL" --initrd "$initrd" --cpus 2 --memory 512M \
		--timeout 300 --format json --console 2>&1 >"$out" | time_to_init "$t0"; }
	python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["memory"]; print(m["vmm_overhead_kib"], m["vmm_anon_overhead_kib"])' \
		"$out" >"$TMPW/overhead" 2>/dev/null || true
	rm -f "$out"
}

# tr is line-buffered (stdbuf -oL): into a pipe it would hold the line
# back until a block of later output or the exit, and time the VM late.
qemu_once() {
	local t0=$EPOCHREALTIME
	qemu-system-x86_64 -accel kvm -M q35 -cpu host -smp 2 -m 512 -nodefaults \
		-no-user-config -display none -no-reboot -serial stdio \
		-kernel "$KERNEL" -initrd "$initrd" -append "$CMDLINE" </dev/null 2>/dev/null |
		stdbuf -oL tr -d '\r' | time_to_init "$t0"
}

# Scratch space for results: the lab's host root is read-only, /tmp is not.
TMPW=$(mktemp -d)
trap 'rm -rf "$TMPW"' EXIT
vmm_times=() qemu_times=() overheads=() anons=()
for i in $(seq "$RUNS"); do
	v=$(vmm_once)
	read -r o a <"$TMPW/overhead" || { o=nan a=nan; }
	q=$(qemu_once)
	echo "run $i: nitrocheck VMM ${v}s, QEMU q35 ${q}s, VMM RSS overhead ${o} KiB (${a} KiB anonymous)" >&2
	vmm_times+=("$v") qemu_times+=("$q") overheads+=("$o") anons+=("$a")
done

median() {
	printf '%s\n' "$@" | grep -v nan | sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "nan"}'
}
vm=$(median "${vmm_times[@]}")
qm=$(median "${qemu_times[@]}")
om=$(median "${overheads[@]}")
am=$(median "${anons[@]}")
ratio=nan
[ "$vm" != nan ] && [ "$qm" != nan ] && ratio=$(printf '%.3f' "$(echo "$vm / $qm" | bc -l)")

echo "time to init started (median of $RUNS): nitrocheck VMM ${vm}s, QEMU -M q35 (SeaBIOS) ${qm}s"
echo "ratio: $ratio (target <= 0.5)"
echo "VMM RSS beyond guest RAM touched: ${om} KiB, of which anonymous ${am} KiB (target <= 10240 KiB);"
echo "  the rest is shared library pages (libguestfs, libvirt, ICU, glib linked into nitrocheck)"
