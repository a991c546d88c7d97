#!/bin/sh
# Compiles every *.bpf.c in $1 into $3/<name>.bpf.o; generates vmlinux.h into $2 from the host's kernel BTF.
# Optional: $4 a suffix for the object names (<name><suffix>.bpf.o), then extra clang flags (test builds).
set -eu
src=$1
include=$2
out=$3
suffix=${4:-}
if [ $# -gt 4 ]; then
    shift 4
else
    shift $#
fi
mkdir -p "$include" "$out"
if [ ! -s "$include/vmlinux.h" ]; then
    if [ ! -r /sys/kernel/btf/vmlinux ]; then
        echo "build.sh: /sys/kernel/btf/vmlinux is missing: the BPF programs need a kernel with BTF to build" >&2
        exit 1
    fi
    bpftool btf dump file /sys/kernel/btf/vmlinux format c > "$include/vmlinux.h.tmp"
    mv "$include/vmlinux.h.tmp" "$include/vmlinux.h"
fi
for file in "$src"/*.bpf.c; do
    name=$(basename "$file" .bpf.c)
    clang -O2 -g -target bpf -D__TARGET_ARCH_x86 -Wall -Werror "$@" \
        -I"$include" -I"$src" -c "$file" -o "$out/$name$suffix.bpf.o"
done
