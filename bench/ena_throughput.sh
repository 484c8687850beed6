#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/ena_throughput.sh [NITROCHECK] [RUNS]
#
# TCP throughput through the ENA NIC of nitrocheck's VMM, both directions,
# against virtio-net under QEMU (-accel kvm -M q35, -netdev user), in the
# same run (inside the KVM lab when this machine has no /dev/kvm). Both
# sides use libslirp and the same host programs behind an exec forward:
# the VMM's NITROCHECK_VMM_BENCH_EXEC (172.31.0.100:PORT), QEMU's
# guestfwd=tcp:10.0.2.100:PORT-cmd:COMMAND. The same kernel and busybox
# initramfs (bench/tput-guest-init) except for the NIC driver: ena.ko, or
# virtio_net.ko with virtio_pci. The guest times, on its own clock,
#   down: nc HOST 5001 | wc -c            host: head -c SIZE /dev/zero
#   up:   head -c SIZE /dev/zero | nc HOST 5002   host: wc -c (the count
#         comes back and is checked)
# and we print MB/s (10^6 bytes/s) per run, the medians and the ratios
# ENA / virtio-net per direction (> 1: ENA faster).
#
# Environment: NC_BENCH_TPUT_MB (MiB per transfer, default 32),
# NC_BENCH_DIR (the initramfs images and the guests' consoles; default
# bench-tput next to NITROCHECK).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NITROCHECK=$(realpath "${1:-$SRC/build/nitrocheck}")
RUNS=${2:-3}
MB=${NC_BENCH_TPUT_MB:-32}
KVER=${NC_TEST_KVER:-$("$SRC/tests/newest-kver")}
KERNEL=/boot/vmlinuz-$KVER
WORK=${NC_BENCH_DIR:-$(dirname "$NITROCHECK")/bench-tput}
PORT_DOWN=5001
PORT_UP=5002
CMD_DOWN="head -c ${MB}M /dev/zero"
CMD_UP="wc -c"

build_initrds() {
	mkdir -p "$WORK"
	"$SRC/fixtures/initramfs-busybox" "$KVER" "$WORK/ena.gz" "$SRC/bench/tput-guest-init" \
		ena >/dev/null
	"$SRC/fixtures/initramfs-busybox" "$KVER" "$WORK/virtio.gz" "$SRC/bench/tput-guest-init" \
		virtio_pci virtio_net >/dev/null
}

if [ ! -w /dev/kvm ] && [ -z "${KVMLAB_INSIDE:-}" ]; then
	build_initrds
	echo "no /dev/kvm: running the benchmark inside the KVM lab (nested KVM under TCG)" >&2
	NC_BENCH_INITRD_DIR=$WORK KVMLAB_SHARE=$WORK KVMLAB_TIMEOUT=${KVMLAB_TIMEOUT:-900} \
		exec "$SRC/tests/kvmlab/run" "$0" "$NITROCHECK" "$RUNS"
fi
# libslirp's exec forwards connect the command through a TCP socket pair on
# 127.0.0.1; the lab's init leaves the loopback interface down.
if [ -n "${KVMLAB_INSIDE:-}" ]; then
	ip link set lo up
fi
if [ -n "${NC_BENCH_INITRD_DIR:-}" ]; then
	WORK=$NC_BENCH_INITRD_DIR
else
	build_initrds
fi

# The guests' consoles, kept for a look afterwards (shared with the lab).
CONS=$WORK/consoles
rm -rf "$CONS"
mkdir -p "$CONS"

# mbps CONSOLE DIRECTION: MB/s from the guest's "NC-TPUT DIR BYTES SECONDS"
# line, nan unless all SIZE MiB arrived.
mbps() {
	awk -v dir="$2" -v want=$((MB * 1048576)) '
		$1 == "NC-TPUT" && $2 == dir {
			found = 1
			if ($3 == want && $4 > 0)
				printf "%.1f\n", $3 / $4 / 1e6
			else
				print "nan"
		}
		END { if (!found) print "nan" }' "$1"
}

# run NAME: the guest's console in $CONS/NAME.console
vmm_once() {
	NITROCHECK_VMM_BENCH_EXEC="$PORT_DOWN=$CMD_DOWN;$PORT_UP=$CMD_UP" \
		"$NITROCHECK" boot --kernel "$KERNEL" --initrd "$WORK/ena.gz" --cpus 2 \
		--memory 512M --timeout 240 --console \
		--append "NCB_MODS=ena NCB_HOST=172.31.0.100 NCB_MB=$MB" \
		</dev/null 2>&1 >/dev/null | tr -d '\r' >"$CONS/$1.console" || true
}

qemu_once() {
	timeout 240 qemu-system-x86_64 -accel kvm -M q35 -cpu host -smp 2 -m 512 -nodefaults \
		-no-user-config -display none -no-reboot -serial stdio \
		-kernel "$KERNEL" -initrd "$WORK/virtio.gz" \
		-append "console=ttyS0 panic=-1 NCB_MODS=virtio_pci,virtio_net NCB_HOST=10.0.2.100 NCB_MB=$MB" \
		-netdev "user,id=n0,guestfwd=tcp:10.0.2.100:$PORT_DOWN-cmd:$CMD_DOWN,guestfwd=tcp:10.0.2.100:$PORT_UP-cmd:$CMD_UP" \
		-device virtio-net-pci,netdev=n0 </dev/null 2>&1 | tr -d '\r' >"$CONS/$1.console" || true
}

# check NAME: complain with the console's tail when a result is missing
check() {
	if [ "$(mbps "$CONS/$1.console" down)" = nan ] || [ "$(mbps "$CONS/$1.console" up)" = nan ]; then
		echo "$1: no complete transfer; console $CONS/$1.console ends:" >&2
		tail -n 8 "$CONS/$1.console" >&2
	fi
}

ena_down=() ena_up=() vio_down=() vio_up=()
for i in $(seq "$RUNS"); do
	vmm_once "ena-$i"
	check "ena-$i"
	qemu_once "virtio-$i"
	check "virtio-$i"
	ed=$(mbps "$CONS/ena-$i.console" down) eu=$(mbps "$CONS/ena-$i.console" up)
	vd=$(mbps "$CONS/virtio-$i.console" down) vu=$(mbps "$CONS/virtio-$i.console" up)
	echo "run $i: ENA (nitrocheck VMM) down $ed MB/s, up $eu MB/s;" \
	     "virtio-net (QEMU) down $vd MB/s, up $vu MB/s" >&2
	ena_down+=("$ed") ena_up+=("$eu") vio_down+=("$vd") vio_up+=("$vu")
done

median() {
	printf '%s\n' "$@" | grep -v nan | sort -g |
		awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "nan"}'
}
ratio() {
	if [ "$1" = nan ] || [ "$2" = nan ]; then
		echo nan
	else
		awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", a / b }'
	fi
}
edm=$(median "${ena_down[@]}") eum=$(median "${ena_up[@]}")
vdm=$(median "${vio_down[@]}") vum=$(median "${vio_up[@]}")

echo "TCP throughput, $MB MiB per transfer, median of $RUNS (MB/s, guest clock):"
echo "  download (host -> guest): ENA ${edm}, virtio-net ${vdm}, ratio ENA/virtio-net $(ratio "$edm" "$vdm")"
echo "  upload   (guest -> host): ENA ${eum}, virtio-net ${vum}, ratio ENA/virtio-net $(ratio "$eum" "$vum")"
