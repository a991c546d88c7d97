package io.ambientjava.bpf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * eBPF redirection on one node, the kernel side of the {@code ebpf} redirection mode.
 *
 * <p>{@link #install} loads {@code ambient_redirect.bpf.o} (shipped in this jar), pins its maps and programs
 * under a {@link PinLayout} and attaches, once, at a cgroup (the cgroup v2 root in production):
 * {@code cgroup/connect4} and {@code cgroup/connect6} (outbound IPv4 connects of enrolled pods, also through
 * dual-stack sockets, go to ztunnel's 127.0.0.1:15001 in the same netns), {@code cgroup/getsockopt} (serves
 * {@code SO_ORIGINAL_DST} on ztunnel's accepted socket), {@code cgroup/getpeername4/6} (the app still sees
 * the peer it asked for) and
 * {@code sockops} (carries the original destination from the app's socket to the accepted one, records
 * ztunnel's 15006 listener per pod, and pairs same-node sockets for the {@code sk_msg} fast path). The links
 * are pinned, so the redirection survives the agent; a restarted agent calls {@link #install} again (or
 * {@link #reattach}) and gets the pinned objects back. {@link #uninstall()} removes every pin, which detaches
 * everything.
 *
 * <p>Pods are enrolled by network namespace: {@link #enroll} is two map updates (the netns cookie, the pod's
 * addresses) and one {@code sk_lookup} link on the pod's netns for inbound steering. ztunnel is expected to
 * listen inside the pod's netns on 15001, 15006 and 15008 and to mark the sockets it connects with SO_MARK
 * 0x539; it must deliver inbound traffic to apps from the pod's own address (ztunnel's
 * {@code --inbound-source=POD_ADDRESS}): a spoofed client source would need policy routing this mode does
 * not install. Its 15006 listener is picked up automatically when it calls {@code listen()} in an enrolled
 * netns, or can be given
 * explicitly with {@link #registerInboundListener}.
 *
 * <p>Instances hold fds to the pinned maps and programs; {@link #close} releases them and leaves the pins.
 * Methods are thread-safe.
 */
public final class EbpfRedirection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EbpfRedirection.class);

    /** The object in this jar holding every program and map. */
    public static final String OBJECT_RESOURCE = "/bpf/ambient_redirect.bpf.o";

    static final String CONNECT4 = "redirect_connect4";
    static final String CONNECT6 = "redirect_connect6";
    static final String GETSOCKOPT = "original_dst";
    static final String GETPEERNAME4 = "app_peername4";
    static final String GETPEERNAME6 = "app_peername6";
    static final String SOCKOPS = "ambient_sockops";
    static final String SK_LOOKUP = "steer_inbound";
    static final String SK_MSG = "bypass_stack";
    static final List<String> PROGRAMS =
            List.of(CONNECT4, CONNECT6, GETSOCKOPT, GETPEERNAME4, GETPEERNAME6, SOCKOPS, SK_LOOKUP, SK_MSG);

    static final String ENROLLED_NETNS = "enrolled_netns";
    static final String POD_ADDRESSES = "pod_addresses";
    static final String INBOUND_LISTENERS = "inbound_listeners";
    static final String LOCAL_PAIRS = "local_pairs";
    static final List<String> MAPS = List.of(
            ENROLLED_NETNS,
            POD_ADDRESSES,
            "original_dst_storage",
            "pending_original_dst",
            INBOUND_LISTENERS,
            LOCAL_PAIRS);

    /** sizeof(struct pair_key): u64 netns, four u32. */
    private static final int PAIR_KEY_SIZE = 24;

    // enum bpf_attach_type
    private static final int BPF_CGROUP_SOCK_OPS = 3;
    private static final int BPF_SK_MSG_VERDICT = 7;
    private static final int BPF_CGROUP_INET4_CONNECT = 10;
    private static final int BPF_CGROUP_INET6_CONNECT = 11;
    private static final int BPF_CGROUP_GETSOCKOPT = 21;
    private static final int BPF_CGROUP_INET4_GETPEERNAME = 29;
    private static final int BPF_CGROUP_INET6_GETPEERNAME = 30;
    private static final int BPF_SK_LOOKUP = 36;

    /** The cgroup attachments, by link pin name. */
    private record CgroupAttachment(String link, String program, int attachType) {}

    private static final List<CgroupAttachment> CGROUP_ATTACHMENTS = List.of(
            new CgroupAttachment("cgroup-connect4", CONNECT4, BPF_CGROUP_INET4_CONNECT),
            new CgroupAttachment("cgroup-getsockopt", GETSOCKOPT, BPF_CGROUP_GETSOCKOPT),
            new CgroupAttachment("cgroup-connect6", CONNECT6, BPF_CGROUP_INET6_CONNECT),
            new CgroupAttachment("cgroup-getpeername4", GETPEERNAME4, BPF_CGROUP_INET4_GETPEERNAME),
            new CgroupAttachment("cgroup-getpeername6", GETPEERNAME6, BPF_CGROUP_INET6_GETPEERNAME),
            new CgroupAttachment("cgroup-sockops", SOCKOPS, BPF_CGROUP_SOCK_OPS));

    private final PinLayout pins;
    private final Map<String, Integer> mapFds;
    private final Map<String, Integer> programFds;
    private boolean closed;

    private EbpfRedirection(PinLayout pins, Map<String, Integer> mapFds, Map<String, Integer> programFds) {
        this.pins = pins;
        this.mapFds = mapFds;
        this.programFds = programFds;
    }

    /**
     * Installs redirection, or takes over what an earlier agent pinned under {@code pinRoot}: checks the
     * kernel has every needed feature, mounts a BPF file system on {@code pinRoot}'s parent when there is
     * none, loads and pins the programs and maps unless they are pinned already, and attaches the cgroup
     * programs at {@code cgroup} unless their links are pinned already.
     *
     * @param pinRoot e.g. {@link PinLayout#DEFAULT_ROOT}
     * @param cgroup a cgroup v2 directory; the root ({@link CgroupV2#root()}) in production
     * @throws MissingKernelFeatureException naming what the kernel lacks
     */
    public static EbpfRedirection install(Path pinRoot, Path cgroup) {
        return install(pinRoot, cgroup, KernelFeature.REDIRECTION);
    }

    /** {@link #install(Path, Path)} checking for {@code required} features first. */
    static synchronized EbpfRedirection install(Path pinRoot, Path cgroup, List<KernelFeature> required) {
        KernelFeature.requireAll(required);
        PinLayout pins = new PinLayout(pinRoot);
        BpfFileSystem.ensureMounted(pins.root());
        if (!completelyPinned(pins)) {
            if (hasAnyPin(pins)) {
                LOG.warn("incomplete eBPF redirection pins under {}: removing them and installing afresh", pinRoot);
                removePins(pins);
                BpfFileSystem.ensureMounted(pins.root());
            }
            loadAndPin(pins);
        } else {
            LOG.info("reusing the eBPF redirection pinned under {}", pinRoot);
        }
        EbpfRedirection redirection = open(pins);
        try {
            redirection.attachToCgroup(cgroup);
        } catch (RuntimeException e) {
            redirection.close();
            throw e;
        }
        return redirection;
    }

    /**
     * Opens what an earlier {@link #install} pinned under {@code pinRoot} (after an agent restart), without
     * loading or attaching anything.
     *
     * @throws BpfException when nothing (or only part) is pinned there
     */
    public static EbpfRedirection reattach(Path pinRoot) {
        PinLayout pins = new PinLayout(pinRoot);
        if (!completelyPinned(pins)) {
            throw new BpfException("no complete eBPF redirection is pinned under " + pinRoot + " (expected maps " + MAPS
                    + " and programs " + PROGRAMS + ")");
        }
        return open(pins);
    }

    /** Whether every map, program and cgroup link is pinned under {@code pinRoot}. */
    public static boolean isInstalled(Path pinRoot) {
        PinLayout pins = new PinLayout(pinRoot);
        return completelyPinned(pins) && CGROUP_ATTACHMENTS.stream().allMatch(a -> Files.exists(pins.link(a.link())));
    }

    /**
     * Removes every pin under {@code pinRoot} and the directory itself: the cgroup and {@code sk_lookup} links
     * detach and the maps and programs are freed once no process holds them. Nothing pinned: no-op.
     */
    public static void uninstall(Path pinRoot) {
        removePins(new PinLayout(pinRoot));
    }

    /** Closes this instance's fds, then {@link #uninstall(Path)}s its pin root. */
    public synchronized void uninstall() {
        close();
        removePins(pins);
    }

    public PinLayout pins() {
        return pins;
    }

    /**
     * Enrolls the pod whose network namespace is at {@code netns}: its connects are redirected to ztunnel and
     * inbound connections to its addresses steered to ztunnel's 15006 listener. Idempotent; enrolling again
     * refreshes the pod's addresses.
     */
    public synchronized PodNetns enroll(Path netns) {
        ensureOpen();
        PodNetns pod = PodNetns.inspect(netns);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cookie = arena.allocateFrom(ValueLayout.JAVA_LONG, pod.cookie());
            // struct pod_settings: the pod's first IPv4 address (where connects are sent to ztunnel), flags.
            MemorySegment settings = arena.allocate(8, 4);
            if (!pod.addresses().isEmpty()) {
                settings.copyFrom(ipv4Key(arena, pod.addresses().getFirst()));
            }
            for (Inet4Address address : pod.addresses()) {
                Libbpf.mapUpdate(
                        mapFd(POD_ADDRESSES),
                        ipv4Key(arena, address),
                        cookie,
                        "recording address " + address.getHostAddress() + " of " + netns);
            }
            Libbpf.mapUpdate(mapFd(ENROLLED_NETNS), cookie, settings, "enrolling " + netns);
        }
        Path link = pins.podLink(pod.cookie());
        if (!Files.exists(link)) {
            int netnsFd = Libc.open(netns.toString(), Libc.O_RDONLY);
            try {
                int linkFd = Libbpf.linkCreate(
                        programFd(SK_LOOKUP), netnsFd, BPF_SK_LOOKUP, "attaching sk_lookup to " + netns);
                try {
                    Libbpf.pin(linkFd, link.toString());
                } finally {
                    Libc.close(linkFd);
                }
            } finally {
                Libc.close(netnsFd);
            }
        }
        LOG.debug("enrolled {} (netns cookie {}, addresses {})", netns, pod.cookie(), pod.addresses());
        return pod;
    }

    /** Unenrolls the pod in {@code netns} (which must still exist; see {@link #unenroll(long)}). */
    public void unenroll(Path netns) {
        unenroll(PodNetns.inspect(netns).cookie());
    }

    /**
     * Stops redirecting the pod with this netns cookie: removes it from the maps and its {@code sk_lookup}
     * link. Connections already redirected keep going. Idempotent.
     */
    public synchronized void unenroll(long netnsCookie) {
        ensureOpen();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cookie = arena.allocateFrom(ValueLayout.JAVA_LONG, netnsCookie);
            Libbpf.mapDelete(mapFd(ENROLLED_NETNS), cookie, "unenrolling netns cookie " + netnsCookie);
            Libbpf.mapDelete(mapFd(INBOUND_LISTENERS), cookie, "forgetting the inbound listener of " + netnsCookie);
            for (MemorySegment address : keysWithValue(arena, mapFd(POD_ADDRESSES), 4, netnsCookie)) {
                Libbpf.mapDelete(mapFd(POD_ADDRESSES), address, "forgetting an address of " + netnsCookie);
            }
        }
        Path link = pins.podLink(netnsCookie);
        try {
            detachPinnedLink(link);
            Files.deleteIfExists(link);
        } catch (IOException e) {
            throw new BpfException("cannot remove the sk_lookup link " + pins.podLink(netnsCookie), e);
        }
    }

    /** The netns cookies of the enrolled pods. */
    public synchronized Set<Long> enrolledCookies() {
        ensureOpen();
        Set<Long> cookies = new HashSet<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment previous = MemorySegment.NULL;
            while (Libbpf.mapNextKey(mapFd(ENROLLED_NETNS), previous, key, "listing enrolled pods")) {
                cookies.add(key.get(ValueLayout.JAVA_LONG, 0));
                previous = arena.allocate(ValueLayout.JAVA_LONG).copyFrom(key);
            }
        }
        return cookies;
    }

    /**
     * Makes {@code listenerFd} (a TCP socket listening inside the pod's netns, in this process) the target of
     * the pod's inbound steering, for a ztunnel that registers its listener itself.
     */
    public synchronized void registerInboundListener(long netnsCookie, int listenerFd) {
        ensureOpen();
        try (Arena arena = Arena.ofConfined()) {
            Libbpf.mapUpdate(
                    mapFd(INBOUND_LISTENERS),
                    arena.allocateFrom(ValueLayout.JAVA_LONG, netnsCookie),
                    arena.allocateFrom(ValueLayout.JAVA_LONG, listenerFd),
                    "registering inbound listener fd " + listenerFd + " for netns cookie " + netnsCookie);
        }
    }

    /** Whether a 15006 listener is recorded for the pod with this netns cookie. */
    public synchronized boolean hasInboundListener(long netnsCookie) {
        ensureOpen();
        try (Arena arena = Arena.ofConfined()) {
            // Looking a socket up from user space yields its cookie, which is all we need to see it is there.
            return Libbpf.mapLookup(
                    mapFd(INBOUND_LISTENERS),
                    arena.allocateFrom(ValueLayout.JAVA_LONG, netnsCookie),
                    arena.allocate(ValueLayout.JAVA_LONG),
                    "looking up the inbound listener of " + netnsCookie);
        }
    }

    /** How many sockets are in the same-node fast path ({@code local_pairs}), for diagnostics. */
    public synchronized int fastPathSockets() {
        ensureOpen();
        int count = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment previous = MemorySegment.NULL;
            while (true) {
                MemorySegment key = arena.allocate(PAIR_KEY_SIZE, 8);
                if (!Libbpf.mapNextKey(mapFd(LOCAL_PAIRS), previous, key, "listing fast-path sockets")) {
                    return count;
                }
                count++;
                previous = key;
            }
        }
    }

    /** Releases this instance's fds; the pins (and so the redirection) stay. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        mapFds.values().forEach(Libc::close);
        programFds.values().forEach(Libc::close);
    }

    private void attachToCgroup(Path cgroup) {
        List<CgroupAttachment> missing = CGROUP_ATTACHMENTS.stream()
                .filter(a -> !Files.exists(pins.link(a.link())))
                .toList();
        if (missing.isEmpty()) {
            return;
        }
        int cgroupFd = Libc.open(cgroup.toString(), Libc.O_RDONLY | Libc.O_DIRECTORY);
        try {
            for (CgroupAttachment attachment : missing) {
                int linkFd = Libbpf.linkCreate(
                        programFd(attachment.program()),
                        cgroupFd,
                        attachment.attachType(),
                        "attaching " + attachment.program() + " to cgroup " + cgroup);
                try {
                    Libbpf.pin(linkFd, pins.link(attachment.link()).toString());
                } finally {
                    Libc.close(linkFd);
                }
            }
        } finally {
            Libc.close(cgroupFd);
        }
    }

    private static void loadAndPin(PinLayout pins) {
        try (BpfObject object = BpfObject.openResource(OBJECT_RESOURCE)) {
            object.load();
            createDirectories(pins);
            // sk_msg attaches to the map itself; the attachment lives as long as the (pinned) map.
            Libbpf.progAttach(
                    object.programFd(SK_MSG),
                    object.mapFd(LOCAL_PAIRS),
                    BPF_SK_MSG_VERDICT,
                    "attaching " + SK_MSG + " to map " + LOCAL_PAIRS);
            for (String map : MAPS) {
                Libbpf.pin(object.mapFd(map), pins.map(map).toString());
            }
            for (String program : PROGRAMS) {
                Libbpf.pin(object.programFd(program), pins.program(program).toString());
            }
        } catch (RuntimeException e) {
            removePins(pins);
            throw e;
        }
        LOG.info("loaded eBPF redirection and pinned it under {}", pins.root());
    }

    private static EbpfRedirection open(PinLayout pins) {
        Map<String, Integer> maps = new LinkedHashMap<>();
        Map<String, Integer> programs = new LinkedHashMap<>();
        try {
            for (String map : MAPS) {
                maps.put(map, openPinned(pins.map(map)));
            }
            for (String program : PROGRAMS) {
                programs.put(program, openPinned(pins.program(program)));
            }
        } catch (RuntimeException e) {
            maps.values().forEach(Libc::close);
            programs.values().forEach(Libc::close);
            throw e;
        }
        return new EbpfRedirection(pins, maps, programs);
    }

    private static int openPinned(Path path) {
        return Libbpf.check(Libbpf.objGet(path.toString()), "opening pinned " + path);
    }

    private static boolean completelyPinned(PinLayout pins) {
        return MAPS.stream().allMatch(map -> Files.exists(pins.map(map)))
                && PROGRAMS.stream().allMatch(program -> Files.exists(pins.program(program)));
    }

    private static boolean hasAnyPin(PinLayout pins) {
        try (Stream<Path> entries = Files.walk(pins.root())) {
            return entries.anyMatch(Files::isRegularFile);
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void createDirectories(PinLayout pins) {
        try {
            Files.createDirectories(pins.maps());
            Files.createDirectories(pins.programs());
            Files.createDirectories(pins.links());
        } catch (IOException e) {
            throw new BpfException("cannot create pin directories under " + pins.root() + ": " + e.getMessage(), e);
        }
    }

    private static void removePins(PinLayout pins) {
        if (!Files.exists(pins.root())) {
            return;
        }
        List<Path> entries;
        try (Stream<Path> walk = Files.walk(pins.root())) {
            entries = walk.sorted(Comparator.reverseOrder()).toList();
        } catch (IOException e) {
            throw new BpfException("cannot list the pins under " + pins.root() + ": " + e.getMessage(), e);
        }
        detachLinks(pins);
        List<String> failures = new ArrayList<>();
        for (Path entry : entries) {
            try {
                Files.deleteIfExists(entry);
            } catch (IOException e) {
                failures.add(entry + ": " + e.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            throw new BpfException("cannot remove every pin: " + String.join("; ", failures));
        }
    }

    /**
     * Detaches every pinned link and the sk_msg program at once: dropping the last reference frees them
     * only later (deferred work in the kernel), and uninstall should mean nothing is redirected anymore.
     */
    private static void detachLinks(PinLayout pins) {
        List<Path> links;
        try (Stream<Path> entries = Files.list(pins.links())) {
            links = entries.toList();
        } catch (NoSuchFileException e) {
            links = List.of();
        } catch (IOException e) {
            throw new BpfException("cannot list the links under " + pins.links() + ": " + e.getMessage(), e);
        }
        links.forEach(EbpfRedirection::detachPinnedLink);
        int program = Libbpf.objGet(pins.program(SK_MSG).toString());
        int map = Libbpf.objGet(pins.map(LOCAL_PAIRS).toString());
        if (program >= 0 && map >= 0) {
            Libbpf.progDetach(program, map, BPF_SK_MSG_VERDICT);
        }
        Libc.close(program);
        Libc.close(map);
    }

    private static void detachPinnedLink(Path link) {
        int fd = Libbpf.objGet(link.toString());
        if (fd >= 0) {
            int result = Libbpf.linkDetach(fd);
            Libc.close(fd);
            if (result < 0) {
                LOG.warn("cannot detach link {}: {}", link, Libbpf.describe(result));
            }
        }
    }

    private List<MemorySegment> keysWithValue(Arena arena, int mapFd, int keySize, long wanted) {
        List<MemorySegment> found = new ArrayList<>();
        MemorySegment previous = MemorySegment.NULL;
        MemorySegment value = arena.allocate(ValueLayout.JAVA_LONG);
        while (true) {
            MemorySegment key = arena.allocate(keySize, 8);
            if (!Libbpf.mapNextKey(mapFd, previous, key, "listing map entries")) {
                return found;
            }
            if (Libbpf.mapLookup(mapFd, key, value, "reading a map entry")
                    && value.get(ValueLayout.JAVA_LONG, 0) == wanted) {
                found.add(key);
            }
            previous = key;
        }
    }

    private static MemorySegment ipv4Key(Arena arena, Inet4Address address) {
        // The programs compare addresses in network order: the address bytes as they are.
        return arena.allocate(4, 4).copyFrom(MemorySegment.ofArray(address.getAddress()));
    }

    private int mapFd(String map) {
        return mapFds.get(map);
    }

    private int programFd(String program) {
        return programFds.get(program);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this EbpfRedirection is closed");
        }
    }
}
