package io.ambientjava.bpf;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A BPF ELF object opened by libbpf from bytes in memory. {@link #load} hands its programs and maps to the
 * kernel; their fds stay valid until {@link #close}, so anything meant to outlive the object must be pinned.
 */
public final class BpfObject implements AutoCloseable {
    private static final long KERNEL_LOG_SIZE = 1 << 20;

    private final String name;
    private final Arena arena;
    private final MemorySegment object;
    private final MemorySegment kernelLog;
    private boolean closed;

    private BpfObject(String name, Arena arena, MemorySegment object, MemorySegment kernelLog) {
        this.name = name;
        this.arena = arena;
        this.object = object;
        this.kernelLog = kernelLog;
    }

    /**
     * Opens (parses) an object; nothing reaches the kernel yet.
     *
     * @throws BpfException when the bytes are not a usable BPF object, with libbpf's reason
     */
    public static BpfObject open(String name, byte[] elf) {
        if (elf.length == 0) {
            throw new BpfException("cannot open BPF object " + name + ": it is empty");
        }
        Arena arena = Arena.ofShared();
        try {
            MemorySegment bytes = arena.allocate(elf.length, 8);
            bytes.copyFrom(MemorySegment.ofArray(elf));
            MemorySegment kernelLog = arena.allocate(KERNEL_LOG_SIZE);
            MemorySegment options = Libbpf.openOptions(arena, name, kernelLog);
            return new BpfObject(name, arena, Libbpf.openObject(bytes, options, name), kernelLog);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Opens an object shipped as a class-path resource, e.g. {@code /bpf/ambient_redirect.bpf.o}. */
    public static BpfObject openResource(String resource) {
        try (InputStream in = BpfObject.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new BpfException("BPF object " + resource + " is not on the class path (was the jar built"
                        + " with clang available?)");
            }
            return open(resource.substring(resource.lastIndexOf('/') + 1), in.readAllBytes());
        } catch (IOException e) {
            throw new BpfException("cannot read BPF object " + resource + ": " + e.getMessage(), e);
        }
    }

    public String name() {
        return name;
    }

    /**
     * Creates the maps and verifies and loads the programs.
     *
     * @throws BpfException when the kernel refuses, with the end of the verifier's log
     */
    public void load() {
        ensureOpen();
        Libbpf.loadObject(object, name, kernelLog);
    }

    /** What this object declares for {@code map} (before or after loading). */
    MapLayout declaredLayout(String map) {
        ensureOpen();
        return Libbpf.declaredLayout(Libbpf.findMap(object, map));
    }

    /** Before {@link #load}: use the existing map {@code fd} (not owned by this object) for {@code map}. */
    void reuseMap(String map, int fd) {
        ensureOpen();
        Libbpf.reuseMap(Libbpf.findMap(object, map), fd, "reusing map fd " + fd + " for " + map);
    }

    /** The fd of a loaded program; owned by this object. */
    public int programFd(String program) {
        ensureOpen();
        return Libbpf.programFd(object, program);
    }

    /** The fd of a loaded map; owned by this object. */
    public int mapFd(String map) {
        ensureOpen();
        return Libbpf.mapFd(object, map);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("BPF object " + name + " is closed");
        }
    }

    /** Closes the object's fds; what was pinned or attached through a link stays in the kernel. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Libbpf.closeObject(object);
            arena.close();
        }
    }
}
