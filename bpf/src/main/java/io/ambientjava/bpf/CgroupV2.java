package io.ambientjava.bpf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Finds the cgroup v2 hierarchy, where the cgroup programs attach. */
public final class CgroupV2 {
    private static final Path MOUNTS = Path.of("/proc/self/mounts");

    private CgroupV2() {}

    /**
     * The mount point of the cgroup v2 hierarchy: {@code /sys/fs/cgroup} on unified hosts,
     * {@code /sys/fs/cgroup/unified} on hybrid ones.
     *
     * @throws BpfException when no cgroup2 file system is mounted
     */
    public static Path root() {
        try {
            return findRoot(Files.readAllLines(MOUNTS))
                    .orElseThrow(() -> new BpfException(
                            "no cgroup2 file system is mounted (see /proc/self/mounts); eBPF redirection attaches"
                                    + " its connect/getsockopt/sockops programs to the cgroup v2 root"));
        } catch (IOException e) {
            throw new BpfException("cannot read " + MOUNTS + ": " + e.getMessage(), e);
        }
    }

    /** The first cgroup2 mount point among {@code /proc/mounts} lines. */
    static Optional<Path> findRoot(List<String> mountLines) {
        for (String line : mountLines) {
            String[] fields = line.split(" ");
            if (fields.length >= 3 && fields[2].equals("cgroup2")) {
                return Optional.of(Path.of(fields[1].replace("\\040", " ")));
            }
        }
        return Optional.empty();
    }
}
