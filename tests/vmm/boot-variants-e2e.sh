#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/vmm/boot-variants-e2e.sh NITROCHECK
#
# The VMM paths a default boot does not take, each in a real guest (the
# generic Debian kernel and the busybox init of tests/vmm/guest-init), both
# boots in one KVM lab session:
#   acpi=off   the guest finds its CPUs through the MP table at 0xf8000
#              (both CPUs up, no ACPI tables) and, with no ACPI poweroff,
#              ends through the i8042 reset: exit 1, "reset" reached;
#   nc.input   a line on nitrocheck's stdin (a pipe, --console) reaches the
#              guest's ttyS0 through the UART's receive FIFO and the guest
#              echoes it back: exit 0.
set -euo pipefail

NITROCHECK=$(realpath "$1")
SRC=${NC_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
SELF=$SRC/tests/vmm/boot-variants-e2e.sh
KVER=${NC_TEST_KVER:-$("$SRC/tests/newest-kver")}
KERNEL=/boot/vmlinuz-$KVER
# Writable inside the lab (KVMLAB_SHARE): the initramfs, reports, consoles.
SHARE=/var/tmp/nitrocheck-boot-variants
INPUT=hello-from-the-host-$$

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

boot() {
	"$NITROCHECK" boot --kernel "$KERNEL" --initrd "$SHARE/initramfs.gz" --cpus 2 \
		--memory 512M --no-net --timeout 400 --format json --console "$@"
}

# Inside the machine that has KVM.
if [ "${2:-}" = --boot ]; then
	set +e
	boot --append "no_timer_check acpi=off" </dev/null \
		>"$SHARE/mptable.json" 2>"$SHARE/mptable.console"
	echo $? >"$SHARE/mptable.rc"
	# A pipe on stdin: the console feeds it to ttyS0 once the guest listens.
	printf '%s\n' "$3" | boot --append "no_timer_check nc.input" \
		>"$SHARE/input.json" 2>"$SHARE/input.console"
	echo $? >"$SHARE/input.rc"
	exit 0
fi

[ -r "$KERNEL" ] || { echo "SKIP: $KERNEL not installed"; exit 77; }
rm -rf "$SHARE"
mkdir -p "$SHARE"
"$SRC/fixtures/initramfs-busybox" "$KVER" "$SHARE/initramfs.gz" "$SRC/tests/vmm/guest-init" \
	>/dev/null
if [ -w /dev/kvm ]; then
	"$SELF" "$NITROCHECK" --boot "$INPUT"
else
	echo "no /dev/kvm here: running inside the KVM lab" >&2
	KVMLAB_SHARE=/var/tmp KVMLAB_TIMEOUT=1200 "$SRC/tests/kvmlab/run" \
		"$SELF" "$NITROCHECK" --boot "$INPUT" || fail "the KVM lab failed (exit $?)"
fi

for v in mptable input; do
	tr -d '\r' <"$SHARE/$v.console" >"$SHARE/$v.log"
	echo "$v: exit status $(cat "$SHARE/$v.rc")" >&2
done

python3 - "$SHARE" "$INPUT" <<'PY'
import json, re, sys
share, typed = sys.argv[1], sys.argv[2]

def load(v):
    return (json.load(open(f"{share}/{v}.json")), open(f"{share}/{v}.log", errors="replace").read(),
            int(open(f"{share}/{v}.rc").read()))

def check(cond, what, log=""):
    if not cond:
        print(log[-3000:], file=sys.stderr)
        print("FAIL:", what, file=sys.stderr)
        sys.exit(1)
    print("ok:", what)

r, con, rc = load("mptable")
names = [m["name"] for m in r["milestones"]]
check("Intel MultiProcessor Specification" in con and "found SMP MP-table at [mem 0x000f8000" in con,
      "acpi=off: the kernel found our MP table at 0xf8000", con)
check("NC-CPUS: 2" in con and "NC-CPUS-ONLINE: 0-1" in con, "acpi=off: both CPUs up from the MP table", con)
check(re.search(r"^NC-ACPI-TABLES: *$", con, re.M), "acpi=off: no ACPI tables in the guest", con)
check("NC-DONE" in con and "init-started" in names and "reset" in names,
      "acpi=off: init ran, then the i8042 reset ended the machine", con)
check(rc == 1 and r["exit"]["reason"] == "reset" and r["verdict"] == "fail",
      "acpi=off: exit 1 (a reset is not a clean poweroff), reason reset")

r, con, rc = load("input")
check(f"NC-INPUT: {typed}" in con, "console input: the guest read the host's line from ttyS0", con)
check(rc == 0 and r["verdict"] == "pass" and r["exit"]["reason"] == "poweroff",
      "console input: exit 0 after the guest powered off", con)
PY
echo PASS
