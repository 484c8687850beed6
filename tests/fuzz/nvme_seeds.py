#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes the seed programs for fuzz_nvme into corpus/nvme/. The encoding
# is fuzz_nvme.c's: one op byte, then its operands, little-endian.
import os
import struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus', 'nvme')
DATA = 0x10000
LIST = 0x20000


def sqe(opcode, cid, nsid=0, prp1=0, prp2=0, *cdw):
    cdw = list(cdw) + [0] * (6 - len(cdw))
    return struct.pack('<BBHIQQQ6I', opcode, 0, cid, nsid, 0, prp1, prp2, *cdw)


def reg32(off, val):
    return struct.pack('<BHI', 0, off, val)


def reg64(off, val):
    return struct.pack('<BHQ', 1, off, val)


def regread(off, size_sel):
    return struct.pack('<BHB', 2, off, size_sel)


def poke(addr, data):
    return struct.pack('<BIB', 3, addr, len(data)) + data


def admin(entry):
    return b'\x04' + entry


def io(q, entry):
    return struct.pack('<BB', 5, q - 1) + entry


def cq_head(q, val):
    return struct.pack('<BBH', 7, q, val)


BRING_UP = b'\x06'

seeds = {
    'bring_up': BRING_UP,
    'read': BRING_UP + io(1, sqe(0x02, 1, 1, DATA, 0, 0, 0, 7)),
    'write_flush_read': BRING_UP
        + poke(DATA, b'\xab' * 200)
        + io(2, sqe(0x01, 2, 1, DATA, 0, 10, 0, 0))
        + io(2, sqe(0x00, 3, 1))
        + io(1, sqe(0x02, 4, 1, DATA, 0, 10, 0, 0)),
    'prp_list': BRING_UP
        + poke(LIST, struct.pack('<4Q', DATA + 0x1000, DATA + 0x3000, DATA + 0x2000, 0))
        + io(1, sqe(0x02, 5, 1, DATA + 0x800, LIST, 0, 0, 31)),
    'admin_mix': BRING_UP
        + admin(sqe(0x06, 6, 0, DATA, 0, 1))
        + admin(sqe(0x06, 7, 1, DATA, 0, 0))
        + admin(sqe(0x02, 8, 0xffffffff, DATA, 0, 0x02 | 127 << 16))
        + admin(sqe(0x09, 9, 0, 0, 0, 0x06, 0))
        + admin(sqe(0x0a, 10, 0, 0, 0, 0x07))
        + admin(sqe(0x0c, 11))
        + cq_head(1, 9),
    'registers': reg32(0x14, 0) + reg32(0x24, 0x00030003) + reg64(0x28, 0x0)
        + reg64(0x30, 0x1000) + reg32(0x14, 0x00460001) + regread(0x1c, 2)
        + regread(0x0, 3) + reg32(0x1000, 1) + reg32(0x14, 0x00464001)
        + reg32(0x14, 0) + b'\x08\x00',
    'write_zeroes_dsm': BRING_UP
        + io(1, sqe(0x08, 12, 1, 0, 0, 100, 0, 15))
        + poke(LIST, struct.pack('<IIQ', 0, 8, 2040))
        + io(1, sqe(0x09, 13, 1, LIST, 0, 0, 4)),
}

for name, prog in seeds.items():
    with open(os.path.join(HERE, name), 'wb') as f:
        f.write(prog)
