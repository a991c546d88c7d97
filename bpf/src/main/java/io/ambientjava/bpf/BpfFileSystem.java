package io.ambientjava.bpf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Makes sure a pin directory lives on a BPF file system, mounting one when the host has not. */
public final class BpfFileSystem {
    private BpfFileSystem() {}

    /** Whether {@code path} (which must exist) is on a BPF file system. */
    public static boolean isBpfFs(Path path) {
        return Libc.fileSystemType(path.toString()) == Libc.BPF_FS_MAGIC;
    }

    /**
     * Ensures {@code pinRoot}'s parent (e.g. {@code /sys/fs/bpf}) is a BPF file system, mounting one there if
     * it is not, then creates {@code pinRoot}.
     */
    public static void ensureMounted(Path pinRoot) {
        Path mountPoint = pinRoot.toAbsolutePath().getParent();
        try {
            Files.createDirectories(mountPoint);
            if (!isBpfFs(mountPoint)) {
                Libc.mountBpfFs(mountPoint.toString());
                if (!isBpfFs(mountPoint)) {
                    throw new BpfException("mounted a BPF file system on " + mountPoint + " but it does not show");
                }
            }
            Files.createDirectories(pinRoot);
        } catch (IOException e) {
            throw new BpfException("cannot create " + pinRoot + ": " + e.getMessage(), e);
        }
    }
}
