package io.ambientjava.ztunnel.inpod.netns;

/**
 * Which network namespace a handle or a thread refers to: the device and inode of its nsfs file, the pair
 * the kernel guarantees unique while the namespace lives (two open handles of the same namespace compare
 * equal). Prints like {@code /proc/<pid>/ns/net} reads: {@code net:[4026531840]}.
 */
public record NetnsId(long device, long inode) {
    @Override
    public String toString() {
        return "net:[" + inode + "]";
    }
}
