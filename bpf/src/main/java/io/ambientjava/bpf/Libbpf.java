package io.ambientjava.bpf;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few libbpf ({@code libbpf.so.1}) functions the loader needs, bound through the FFM API. Functions
 * returning {@code int} follow libbpf 1.x: a negative value is {@code -errno}; functions returning a pointer
 * return NULL and set {@code errno}, which is captured. Every failure becomes a {@link BpfException} whose
 * message names what was being done and libbpf's text for the error.
 */
@SuppressWarnings("restricted") // Native access is the point of this class.
final class Libbpf {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final java.lang.foreign.AddressLayout PTR = ValueLayout.ADDRESS;

    private static final SymbolLookup LIBRARY = load();

    static {
        LibbpfLog.install(LIBRARY);
    }

    private static final MethodHandle OBJECT_OPEN_MEM =
            errnoDowncall("bpf_object__open_mem", FunctionDescriptor.of(PTR, PTR, LONG, PTR));
    private static final MethodHandle OBJECT_LOAD = downcall("bpf_object__load", FunctionDescriptor.of(INT, PTR));
    private static final MethodHandle OBJECT_CLOSE = downcall("bpf_object__close", FunctionDescriptor.ofVoid(PTR));
    private static final MethodHandle FIND_PROGRAM =
            downcall("bpf_object__find_program_by_name", FunctionDescriptor.of(PTR, PTR, PTR));
    private static final MethodHandle PROGRAM_FD = downcall("bpf_program__fd", FunctionDescriptor.of(INT, PTR));
    private static final MethodHandle FIND_MAP_FD =
            downcall("bpf_object__find_map_fd_by_name", FunctionDescriptor.of(INT, PTR, PTR));
    private static final MethodHandle FIND_MAP =
            downcall("bpf_object__find_map_by_name", FunctionDescriptor.of(PTR, PTR, PTR));
    private static final MethodHandle MAP_REUSE_FD =
            downcall("bpf_map__reuse_fd", FunctionDescriptor.of(INT, PTR, INT));
    private static final MethodHandle MAP_TYPE = downcall("bpf_map__type", FunctionDescriptor.of(INT, PTR));
    private static final MethodHandle MAP_KEY_SIZE = downcall("bpf_map__key_size", FunctionDescriptor.of(INT, PTR));
    private static final MethodHandle MAP_VALUE_SIZE = downcall("bpf_map__value_size", FunctionDescriptor.of(INT, PTR));
    private static final MethodHandle MAP_MAX_ENTRIES =
            downcall("bpf_map__max_entries", FunctionDescriptor.of(INT, PTR));
    private static final MethodHandle MAP_FLAGS = downcall("bpf_map__map_flags", FunctionDescriptor.of(INT, PTR));
    private static final MethodHandle OBJ_GET_INFO =
            downcall("bpf_obj_get_info_by_fd", FunctionDescriptor.of(INT, INT, PTR, PTR));
    private static final MethodHandle MAP_FD_BY_ID = downcall("bpf_map_get_fd_by_id", FunctionDescriptor.of(INT, INT));
    private static final MethodHandle LINK_UPDATE =
            downcall("bpf_link_update", FunctionDescriptor.of(INT, INT, INT, PTR));
    private static final MethodHandle LINK_CREATE =
            downcall("bpf_link_create", FunctionDescriptor.of(INT, INT, INT, INT, PTR));
    private static final MethodHandle PROG_ATTACH =
            downcall("bpf_prog_attach", FunctionDescriptor.of(INT, INT, INT, INT, INT));
    private static final MethodHandle PROG_DETACH2 =
            downcall("bpf_prog_detach2", FunctionDescriptor.of(INT, INT, INT, INT));
    private static final MethodHandle LINK_DETACH = downcall("bpf_link_detach", FunctionDescriptor.of(INT, INT));
    private static final MethodHandle OBJ_PIN = downcall("bpf_obj_pin", FunctionDescriptor.of(INT, INT, PTR));
    private static final MethodHandle OBJ_GET = downcall("bpf_obj_get", FunctionDescriptor.of(INT, PTR));
    private static final MethodHandle MAP_UPDATE =
            downcall("bpf_map_update_elem", FunctionDescriptor.of(INT, INT, PTR, PTR, LONG));
    private static final MethodHandle MAP_LOOKUP =
            downcall("bpf_map_lookup_elem", FunctionDescriptor.of(INT, INT, PTR, PTR));
    private static final MethodHandle MAP_DELETE =
            downcall("bpf_map_delete_elem", FunctionDescriptor.of(INT, INT, PTR));
    private static final MethodHandle MAP_NEXT_KEY =
            downcall("bpf_map_get_next_key", FunctionDescriptor.of(INT, INT, PTR, PTR));
    private static final MethodHandle PROBE_PROG_TYPE =
            downcall("libbpf_probe_bpf_prog_type", FunctionDescriptor.of(INT, INT, PTR));
    private static final MethodHandle PROBE_MAP_TYPE =
            downcall("libbpf_probe_bpf_map_type", FunctionDescriptor.of(INT, INT, PTR));
    private static final MethodHandle PROBE_HELPER =
            downcall("libbpf_probe_bpf_helper", FunctionDescriptor.of(INT, INT, INT, PTR));
    private static final MethodHandle STRERROR =
            downcall("libbpf_strerror", FunctionDescriptor.of(INT, INT, PTR, LONG));

    static final long BPF_ANY = 0;
    static final int ENOENT = 2;

    private Libbpf() {}

    private static SymbolLookup load() {
        try {
            return SymbolLookup.libraryLookup("libbpf.so.1", Arena.global());
        } catch (IllegalArgumentException e) {
            throw new BpfException(
                    "cannot load libbpf.so.1 (install libbpf 1.x, e.g. the libbpf1 package): " + e.getMessage(), e);
        }
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(symbol(name), descriptor);
    }

    private static MethodHandle errnoDowncall(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(symbol(name), descriptor, Linker.Option.captureCallState("errno"));
    }

    private static MemorySegment symbol(String name) {
        return LIBRARY.find(name)
                .orElseThrow(() -> new BpfException("libbpf.so.1 has no function " + name + " (libbpf too old?)"));
    }

    /** libbpf's text for an error number (positive or negative), including libbpf's own codes. */
    static String describe(int error) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(256);
            int ignored = (int) STRERROR.invokeExact(Math.abs(error), buffer, buffer.byteSize());
            return buffer.getString(0) + " (errno " + Math.abs(error) + ")";
        } catch (Throwable t) {
            return "errno " + Math.abs(error);
        }
    }

    /** Throws unless {@code result} is non-negative; returns it. */
    static int check(int result, String what) {
        if (result < 0) {
            throw new BpfException(what + " failed: " + describe(result));
        }
        return result;
    }

    /**
     * {@code struct bpf_object_open_opts} of libbpf 1.x, up to {@code kernel_log_level}: sz, object_name,
     * relaxed_maps, pin_root_path, a removed u32, kconfig, btf_custom_path, kernel_log_buf, kernel_log_size,
     * kernel_log_level.
     */
    static final long OPEN_OPTS_SIZE = 80;

    private static final long OPTS_OBJECT_NAME = 8;
    private static final long OPTS_KERNEL_LOG_BUF = 56;
    private static final long OPTS_KERNEL_LOG_SIZE = 64;
    private static final int MAX_LOG_IN_MESSAGE = 4000;

    /**
     * Open options naming the object and giving the kernel a log buffer: with log level 0, libbpf loads
     * quietly and retries a failed load with the verifier's log going to {@code log}.
     */
    static MemorySegment openOptions(Arena arena, String objectName, MemorySegment log) {
        MemorySegment options = arena.allocate(OPEN_OPTS_SIZE, 8);
        options.set(LONG, 0, OPEN_OPTS_SIZE);
        options.set(PTR, OPTS_OBJECT_NAME, arena.allocateFrom(objectName));
        options.set(PTR, OPTS_KERNEL_LOG_BUF, log);
        options.set(LONG, OPTS_KERNEL_LOG_SIZE, log.byteSize());
        return options;
    }

    /** Opens an ELF object held in {@code elf} (the caller's arena must outlive the object). */
    static MemorySegment openObject(MemorySegment elf, MemorySegment options, String objectName) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            LibbpfLog.startCapture();
            MemorySegment object = (MemorySegment) OBJECT_OPEN_MEM.invokeExact(capture, elf, elf.byteSize(), options);
            String warnings = LibbpfLog.captured();
            if (object.equals(MemorySegment.NULL)) {
                int errno = (int) ERRNO.get(capture, 0L);
                throw new BpfException("cannot open BPF object " + objectName + ": " + describe(errno)
                        + (warnings.isEmpty() ? "" : " (libbpf: " + warnings + ")"));
            }
            return object;
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw new BpfException("bpf_object__open_mem failed for " + objectName, t);
        }
    }

    /** Loads the object; a failure carries the end of the kernel's log (the verifier's reason). */
    static void loadObject(MemorySegment object, String objectName, MemorySegment log) {
        log.set(ValueLayout.JAVA_BYTE, 0, (byte) 0);
        LibbpfLog.startCapture();
        int result = invokeInt(OBJECT_LOAD, object);
        String warnings = LibbpfLog.captured();
        if (result < 0) {
            String kernelLog = log.getString(0).strip();
            if (kernelLog.length() > MAX_LOG_IN_MESSAGE) {
                kernelLog = "..." + kernelLog.substring(kernelLog.length() - MAX_LOG_IN_MESSAGE);
            }
            throw new BpfException("loading BPF object " + objectName + " into the kernel failed: " + describe(result)
                    + (warnings.isEmpty() ? "" : " (libbpf: " + warnings + ")")
                    + (kernelLog.isEmpty() ? "" : "; kernel log:\n" + kernelLog));
        }
    }

    static void closeObject(MemorySegment object) {
        try {
            OBJECT_CLOSE.invokeExact(object);
        } catch (Throwable t) {
            throw new BpfException("bpf_object__close failed", t);
        }
    }

    static int programFd(MemorySegment object, String program) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment found = (MemorySegment) FIND_PROGRAM.invokeExact(object, arena.allocateFrom(program));
            if (found.equals(MemorySegment.NULL)) {
                throw new BpfException("the BPF object has no program named " + program);
            }
            return check((int) PROGRAM_FD.invokeExact(found), "getting the fd of program " + program);
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw new BpfException("finding program " + program + " failed", t);
        }
    }

    static int mapFd(MemorySegment object, String map) {
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) FIND_MAP_FD.invokeExact(object, arena.allocateFrom(map));
            if (fd < 0) {
                throw new BpfException("the BPF object has no map named " + map + ": " + describe(fd));
            }
            return fd;
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw new BpfException("finding map " + map + " failed", t);
        }
    }

    /** A map of an opened (not yet loaded) object, by name. */
    static MemorySegment findMap(MemorySegment object, String map) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment found = (MemorySegment) FIND_MAP.invokeExact(object, arena.allocateFrom(map));
            if (found.equals(MemorySegment.NULL)) {
                throw new BpfException("the BPF object has no map named " + map);
            }
            return found;
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw new BpfException("finding map " + map + " failed", t);
        }
    }

    /** What an object declares for a map: type, key and value size, entries, flags. */
    static MapLayout declaredLayout(MemorySegment map) {
        return new MapLayout(
                invokeInt(MAP_TYPE, map),
                invokeInt(MAP_KEY_SIZE, map),
                invokeInt(MAP_VALUE_SIZE, map),
                invokeInt(MAP_MAX_ENTRIES, map),
                invokeInt(MAP_FLAGS, map));
    }

    /** Makes the object use an existing map (e.g. a pinned one) instead of creating its own at load. */
    static void reuseMap(MemorySegment map, int fd, String what) {
        check(invokeInt(MAP_REUSE_FD, map, fd), what);
    }

    /** {@code struct bpf_map_info}: type, id, key_size, value_size, max_entries, map_flags (u32 each). */
    static MapLayout mapLayout(int mapFd, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(96, 8);
            MemorySegment length = arena.allocateFrom(INT, (int) info.byteSize());
            check(invokeInt(OBJ_GET_INFO, mapFd, info, length), what);
            return new MapLayout(
                    info.get(INT, 0), info.get(INT, 8), info.get(INT, 12), info.get(INT, 16), info.get(INT, 20));
        }
    }

    /** The kernel's id of a map. */
    static int mapId(int mapFd, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(96, 8);
            MemorySegment length = arena.allocateFrom(INT, (int) info.byteSize());
            check(invokeInt(OBJ_GET_INFO, mapFd, info, length), what);
            return info.get(INT, 4);
        }
    }

    /** An fd for the map with this id, or {@code -errno} ({@code -ENOENT} once the kernel has freed it). */
    static int mapFdById(int id) {
        return invokeInt(MAP_FD_BY_ID, id);
    }

    /**
     * The program's id and tag ({@code struct bpf_prog_info}: type, id, then the 8-byte tag, a hash of its
     * instructions with map references left out): the same tag means the same code.
     */
    static ProgramIdentity programIdentity(int programFd, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(256, 8);
            MemorySegment length = arena.allocateFrom(INT, (int) info.byteSize());
            check(invokeInt(OBJ_GET_INFO, programFd, info, length), what);
            return new ProgramIdentity(info.get(INT, 4), info.get(LONG, 8));
        }
    }

    /** An id and an instruction hash of a loaded program. */
    record ProgramIdentity(int id, long tag) {}

    /** Swaps the program behind a link atomically. */
    static void linkUpdate(int linkFd, int programFd, String what) {
        check(invokeInt(LINK_UPDATE, linkFd, programFd, MemorySegment.NULL), what);
    }

    /** Creates a BPF link attaching {@code programFd} to {@code targetFd} (a cgroup or a netns) for {@code attachType}. */
    static int linkCreate(int programFd, int targetFd, int attachType, String what) {
        try {
            return check((int) LINK_CREATE.invokeExact(programFd, targetFd, attachType, MemorySegment.NULL), what);
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw new BpfException(what + " failed", t);
        }
    }

    /** Detaches a link now (releasing it is deferred by the kernel); returns {@code -errno} on failure. */
    static int linkDetach(int linkFd) {
        return invokeInt(LINK_DETACH, linkFd);
    }

    static void progAttach(int programFd, int targetFd, int attachType, String what) {
        try {
            check((int) PROG_ATTACH.invokeExact(programFd, targetFd, attachType, 0), what);
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw new BpfException(what + " failed", t);
        }
    }

    static int progDetach(int programFd, int targetFd, int attachType) {
        try {
            return (int) PROG_DETACH2.invokeExact(programFd, targetFd, attachType);
        } catch (Throwable t) {
            throw new BpfException("bpf_prog_detach2 failed", t);
        }
    }

    static void pin(int fd, String path) {
        try (Arena arena = Arena.ofConfined()) {
            check((int) OBJ_PIN.invokeExact(fd, arena.allocateFrom(path)), "pinning at " + path);
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw new BpfException("pinning at " + path + " failed", t);
        }
    }

    /** Opens a pinned object; returns {@code -errno} when it cannot (ENOENT: nothing pinned there). */
    static int objGet(String path) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) OBJ_GET.invokeExact(arena.allocateFrom(path));
        } catch (Throwable t) {
            throw new BpfException("bpf_obj_get " + path + " failed", t);
        }
    }

    static void mapUpdate(int mapFd, MemorySegment key, MemorySegment value, String what) {
        try {
            check((int) MAP_UPDATE.invokeExact(mapFd, key, value, BPF_ANY), what);
        } catch (BpfException e) {
            throw e;
        } catch (Throwable t) {
            throw new BpfException(what + " failed", t);
        }
    }

    /** Returns false when the key is absent. */
    static boolean mapLookup(int mapFd, MemorySegment key, MemorySegment value, String what) {
        int result = invokeInt(MAP_LOOKUP, mapFd, key, value);
        if (result == -ENOENT) {
            return false;
        }
        check(result, what);
        return true;
    }

    /** Returns false when the key was absent. */
    static boolean mapDelete(int mapFd, MemorySegment key, String what) {
        int result = invokeInt(MAP_DELETE, mapFd, key);
        if (result == -ENOENT) {
            return false;
        }
        check(result, what);
        return true;
    }

    /** Writes the key after {@code key} (the first key when {@code key} is NULL); false at the end. */
    static boolean mapNextKey(int mapFd, MemorySegment key, MemorySegment next, String what) {
        int result = invokeInt(MAP_NEXT_KEY, mapFd, key, next);
        if (result == -ENOENT) {
            return false;
        }
        check(result, what);
        return true;
    }

    /** 1 when the kernel supports the program type, 0 when not, negative on a probing error. */
    static int probeProgramType(int programType) {
        return invokeInt(PROBE_PROG_TYPE, programType, MemorySegment.NULL);
    }

    /** 1 when programs of {@code programType} may call helper {@code helper}, 0 when not, negative on error. */
    static int probeHelper(int programType, int helper) {
        return invokeInt(PROBE_HELPER, programType, helper, MemorySegment.NULL);
    }

    static int probeMapType(int mapType) {
        return invokeInt(PROBE_MAP_TYPE, mapType, MemorySegment.NULL);
    }

    private static int invokeInt(MethodHandle handle, Object... arguments) {
        try {
            return (int) handle.invokeWithArguments(arguments);
        } catch (Throwable t) {
            throw new BpfException("calling libbpf failed", t);
        }
    }
}
