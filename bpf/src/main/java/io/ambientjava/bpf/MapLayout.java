package io.ambientjava.bpf;

/**
 * What must match for a program to use an existing map: its kernel type ({@code enum bpf_map_type}), key and
 * value sizes, capacity and creation flags.
 */
record MapLayout(int type, int keySize, int valueSize, int maxEntries, int flags) {
    @Override
    public String toString() {
        return "type " + type + ", key " + keySize + " B, value " + valueSize + " B, " + maxEntries
                + " entries, flags 0x" + Integer.toHexString(flags);
    }
}
