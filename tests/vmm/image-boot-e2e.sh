#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/vmm/image-boot-e2e.sh NITROCHECK nvme|net
#
# End to end `nitrocheck boot IMAGE` on the Debian 12 fixtures, each booting
# its own kernel, initramfs and command line with the NVMe root disk and the
# ENA NIC:
#   nvme (issue 5):
#   - debian12-generic mounts its root from NVMe, reaches multi-user, probes
#     ENA, gets a lease and asks IMDS (its probe unit does what cloud-init's
#     EC2 datasource does first): exit 0, both chains in order with times;
#   - debian12-no-nvme-initrd: the NVMe controller is never enabled and the
#     missing NVMe driver is named (exit 1).
#   net (issue 6):
#   - debian12-no-ena: root on NVMe and multi-user, but it fails at "ENA
#     probed" with the missing ena module named (exit 1);
#   - persistent-net-mac (only network config: ifupdown for an eth0 bound to
#     another instance's MAC): fails at "interface up" naming ens5 (exit 1).
# The images sit on a share the lab mounts writable; their sha256 must be
# unchanged afterwards. All boots of a group run in one lab session.
#
# The image is read here, outside the lab: `boot IMAGE --extract` runs the
# same plan code (boot loader, default kernel, initramfs, command line) and
# saves what it found; inside the lab `boot IMAGE --kernel --initrd
# --cmdline` boots exactly that with the image as the NVMe root disk. In the
# TCG lab the libguestfs appliance (a nested KVM guest) hung before the boot
# in 3 of 7 sessions; NC_IMAGE_BOOT_READ_IN_LAB=1 reads the image in the lab
# instead, the whole `boot IMAGE` path in one process.
set -euo pipefail

NITROCHECK=$(realpath "$1")
GROUP=${2:-nvme}
SRC=${NC_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
SELF=$SRC/tests/vmm/image-boot-e2e.sh
WORK=${NC_BUILD_ROOT:-$SRC/build}/tests/image-boot-e2e-$GROUP
# Writable inside the lab (KVMLAB_SHARE): the image copies, the reports and
# libguestfs's appliance cache.
SHARE=/var/tmp/nitrocheck-image-boot-e2e-$GROUP
MAC=0a:1b:2c:3d:4e:05

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

case $GROUP in
nvme) cases="debian12-generic:0 debian12-no-nvme-initrd:1" ;;
net) cases="debian12-no-ena:1 persistent-net-mac:1" ;;
*) fail "unknown group $GROUP (nvme or net)" ;;
esac

# Inside the machine that has KVM: boot each image, reports to the share.
if [ "${3:-}" = --boot ]; then
	for c in $cases; do
		name=${c%%:*}
		plan=$SHARE/$name.plan
		given=(--kernel "$plan/vmlinuz" --initrd "$plan/initrd.img"
		       --cmdline "$(cat "$plan/cmdline")")
		[ "${NC_IMAGE_BOOT_READ_IN_LAB:-}" = 1 ] && given=()
		# A guest triple fault has been seen now and then in the lab
		# (not understood yet, see the issue notes): one more boot,
		# said out loud, rather than a red CI for a known defect.
		for attempt in 1 2; do
			set +e
			# 90 s per milestone: generous for the lab (the generic image goes
			# from kernel start to NVMe enabled in under 30 s there), short
			# for the image that never enables it.
			TMPDIR=/tmp "$NITROCHECK" boot "$SHARE/$name.qcow2" "${given[@]}" \
				--mac "$MAC" --memory 1G \
				--append no_timer_check --timeout 900 --milestone-timeout 90s \
				--net-timeout 45 --format json --console \
				>"$SHARE/$name.json" 2>"$SHARE/$name.console"
			echo $? >"$SHARE/$name.rc"
			set -e
			grep -q 'triple fault' "$SHARE/$name.json" 2>/dev/null && [ $attempt = 1 ] || break
			echo "$name: the guest triple-faulted (known defect under investigation); booting it again" >&2
		done
		echo "$name: exit status $(cat "$SHARE/$name.rc")" >&2
	done
	exit 0
fi

rm -rf "$WORK" "$SHARE"
mkdir -p "$WORK" "$SHARE"
for c in $cases; do
	name=${c%%:*}
	src=$("$SRC/fixtures/build" "$name" 2>/dev/null | tail -n 1) || true
	[ -r "$src" ] || { echo "SKIP: fixture $name could not be built"; exit 77; }
	cp --reflink=auto "$src" "$SHARE/$name.qcow2"
	(cd "$SHARE" && sha256sum "$name.qcow2") >"$WORK/$name.sha256"
	# The image's own boot plan, read here (see the top).
	"$NITROCHECK" boot "$SHARE/$name.qcow2" --extract "$SHARE/$name.plan" --format json \
		>"$WORK/$name.plan.json" || fail "$name: boot --extract (exit $?)"
	python3 - "$WORK/$name.plan.json" "$SHARE/$name.plan" <<'PY' || fail "$name: the saved plan"
import json, os, sys
j = json.load(open(sys.argv[1]))
d = sys.argv[2]
assert j["kernel"].startswith("/boot/vmlinuz-") and j["kernel_version"].endswith("-amd64"), j
assert j["initrd"].startswith("/boot/initrd.img-"), j
assert j["chosen_by"].startswith("grub2: /boot/grub/grub.cfg"), j
assert "root=UUID=" in j["cmdline"], j
assert open(os.path.join(d, "cmdline")).read() == j["cmdline"] + "\n"
# a bzImage ("HdrS" at 0x202) and an initramfs of some size
assert open(os.path.join(d, "vmlinuz"), "rb").read(0x206)[0x202:] == b"HdrS"
assert os.path.getsize(os.path.join(d, "initrd.img")) > (1 << 20)
print(f"  plan: {j['kernel']} ({j['kernel_version']}), {j['initrd']}, {j['cmdline']}")
PY
done

if [ -w /dev/kvm ]; then
	"$SELF" "$NITROCHECK" "$GROUP" --boot
else
	echo "no /dev/kvm here: running inside the KVM lab" >&2
	KVMLAB_SHARE=/var/tmp KVMLAB_TIMEOUT=2400 "$SRC/tests/kvmlab/run" \
		"$SELF" "$NITROCHECK" "$GROUP" --boot ||
		fail "the KVM lab failed (exit $?)"
fi

for c in $cases; do
	name=${c%%:*}
	want=${c##*:}
	(cd "$SHARE" && sha256sum -c --quiet "$WORK/$name.sha256") || fail "$name: the image changed"
	cp "$SHARE/$name.json" "$SHARE/$name.console" "$WORK/"
	rc=$(cat "$SHARE/$name.rc")
	if [ "$rc" -ne "$want" ]; then
		tr -d '\r' <"$WORK/$name.console" | tail -n 40 >&2
		cat "$WORK/$name.json" >&2
		fail "$name: exit status $rc, expected $want"
	fi
done

# check NAME: the report's assertions for NAME (python, reads NAME.json).
check() {
	python3 - "$WORK/$1.json" "$WORK/$1.console" "$1" "$MAC" "$WORK/$1.plan.json" ||
		fail "$1: report"
}

for c in $cases; do
	name=${c%%:*}
	check "$name" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
console = open(sys.argv[2], errors="replace").read().replace("\r", "")
name, mac = sys.argv[3], sys.argv[4]
at = {m["name"]: m["time_s"] for m in j["milestones"]}
net = j["network"]
netat = {m["name"]: m.get("at") for m in net["milestones"]}
cl = j["command_line"].split()
assert j["schema_version"] == 1
assert any(w == "console=ttyS0" or w.startswith("console=ttyS0,") for w in cl), cl
assert "quiet" not in cl, cl
assert any(w.startswith("root=UUID=") for w in cl), cl
# booted with the image's own command line (quiet dropped, console added)
plan = json.load(open(sys.argv[5]))
assert all(w in cl for w in plan["cmdline"].split() if w != "quiet"), (plan["cmdline"], cl)
image_chain = ["kernel-started", "nvme-enabled", "nvme-identified", "root-mounted", "multi-user"]
net_chain = ["ena-probed", "ena-io-queues", "dhcp-request", "dhcp-ack", "imds"]

def in_order(chain, times):
    t = [times[n] for n in chain]
    assert all(x is not None for x in t) and t == sorted(t) and t[0] >= 0, (chain, t)
    return ", ".join(f"{n} {x:.1f} s" for n, x in zip(chain, t))

if name == "debian12-generic":
    assert j["verdict"] == "pass", j["reason"]
    assert j["failed_milestone"] is None and j["cause"] is None
    print("  image:", in_order(image_chain, at))
    print("  network:", in_order(net_chain, netat))
    assert net["failed_milestone"] is None, net
    assert "PUT /latest/api/token" in net["imds_paths"], net["imds_paths"]
    assert "GET /latest/meta-data/instance-id" in net["imds_paths"], net["imds_paths"]
    assert net["interface"] == "ens5", net.get("interface")
    # What the guest itself saw, printed by the fixture's probe units.
    assert "nitrocheck-probe: nvme0 model=Amazon Elastic Block Store" in console
    assert "nitrocheck-probe: root /dev/nvme0n1p1" in console
    assert "nitrocheck-probe: addr ens5 172.31.16.5/16" in console
    assert "nitrocheck-probe: imds instance-id=i-" in console and "token=yes" in console
elif name == "debian12-no-nvme-initrd":
    assert j["verdict"] == "fail"
    assert j["failed_milestone"] == "nvme-enabled", j["failed_milestone"]
    assert "no NVMe driver" in j["cause"], j["cause"]
    assert "kernel-started" in at and "root-mounted" not in at, at
    assert j["console_tail"], "no console lines"
    print("  failed at", j["failed_milestone"], "-", j["cause"])
elif name == "debian12-no-ena":
    assert j["verdict"] == "fail"
    print("  image:", in_order(image_chain, at))
    assert j["failed_milestone"] == "ena-probed", j["failed_milestone"]
    assert "ena module is missing" in j["cause"], j["cause"]
    assert not any(m["reached"] for m in net["milestones"]), net
    print("  failed at", j["failed_milestone"], "-", j["cause"])
elif name == "persistent-net-mac":
    assert j["verdict"] == "fail"
    print("  image:", in_order(image_chain, at))
    assert j["failed_milestone"] == "ena-io-queues", j["failed_milestone"]
    assert netat["ena-probed"] is not None, net
    assert "ens5" in j["cause"], j["cause"]
    assert net["interface"] == "ens5", net.get("interface")
    print("  failed at", j["failed_milestone"], "-", j["cause"])
PY
done
echo "PASS"
