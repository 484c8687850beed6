#!/bin/sh
# Regenerate tests/fuzz/corpus/initramfs: an early microcode cpio before a
# main archive in each compression the kernel takes (cpio, gzip, xz, lzma,
# zstd, lz4 legacy, bzip2), and zstd followed by zero padding.
set -eu
out=$(cd "$(dirname "$0")" && pwd)/corpus/initramfs
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
mkdir -p e/kernel/x86/microcode m/conf m/scripts/init-top m/usr/lib/dracut \
	m/usr/lib/modules/6.1.0-56-amd64/kernel/drivers/nvme/host
echo ucode >e/kernel/x86/microcode/GenuineIntel.bin
echo MODULES=most >m/conf/initramfs.conf
echo x >m/scripts/init-top/udev
echo m >m/usr/lib/modules/6.1.0-56-amd64/kernel/drivers/nvme/host/nvme.ko.zst
echo m >m/usr/lib/modules/6.1.0-56-amd64/kernel/drivers/nvme/host/nvme-core.ko
echo base >m/usr/lib/dracut/modules.txt
ln -s busybox m/sh
(cd e && find . | sort | cpio -o -H newc --quiet >../early.cpio)
(cd m && find . | sort | cpio -o -H newc --quiet >../main.cpio)
mkdir -p "$out"
cp main.cpio "$out/plain.cpio"
for z in "gzip -9n:gzip" "xz -C crc32:xz" "xz --format=lzma:lzma" "zstd -q:zstd" \
	 "lz4 -l -q:lz4-legacy" "bzip2:bzip2"; do
	{ cat early.cpio; ${z%%:*} -c <main.cpio; } >"$out/early+${z##*:}.initrd"
done
{ zstd -q -c <main.cpio; head -c 64 /dev/zero; } >"$out/zstd+padding.initrd"
