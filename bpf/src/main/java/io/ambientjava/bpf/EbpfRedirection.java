package io.ambientjava.bpf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * ztunnel's 15006 listener per pod, and pairs same-node sockets for the {@code sk_msg} fast path: see {@link
 * #install(Path, Path, boolean)}) and {@code cgroup/bind4/6} (see below). The links are pinned, so the
 * redirection survives the agent; a restarted agent calls {@link #install} again (or {@link #reattach}) and
 * gets the pinned objects back. {@link #uninstall()} removes every pin, which detaches everything.
 *
 * <p>Pods are enrolled by network namespace: {@link #enroll} is two map updates (the netns cookie, the pod's
 * addresses) and one {@code sk_lookup} link on the pod's netns for inbound steering. ztunnel is expected to
 * listen inside the pod's netns on 15001, 15006 and 15008 and to mark its sockets with SO_MARK 0x539. It
 * delivers inbound traffic to apps exactly as with nftables, from a socket bound ({@code IP_TRANSPARENT})
 * to the client's address: {@code cgroup/bind4/6} moves that bind to the pod's own address (the app's
 * replies then stay in the pod without policy routing) and the app's {@code accept()} and {@code
 * getpeername()} still show the client. Its 15006 listener is picked up automatically when it calls {@code
 * listen()} in an enrolled netns, or can be given explicitly with {@link #registerInboundListener}.
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
    static final String BIND4 = "delivery_bind4";
    static final String BIND6 = "delivery_bind6";
    static final List<String> PROGRAMS = List.of(
            CONNECT4, CONNECT6, GETSOCKOPT, GETPEERNAME4, GETPEERNAME6, SOCKOPS, SK_LOOKUP, SK_MSG, BIND4, BIND6);

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
            LOCAL_PAIRS,
            "pair_sockets");

    /** sizeof(struct pair_key): u64 netns, four u32. */
    private static final int PAIR_KEY_SIZE = 24;

    // enum bpf_attach_type
    private static final int BPF_SK_LOOKUP = 36;

    private final PinLayout pins;
    private final InstallOutcome outcome;
    private final Map<String, Integer> mapFds;
    private final Map<String, Integer> programFds;
    private boolean closed;

    private EbpfRedirection(
            PinLayout pins, InstallOutcome outcome, Map<String, Integer> mapFds, Map<String, Integer> programFds) {
        this.pins = pins;
        this.outcome = outcome;
        this.mapFds = mapFds;
        this.programFds = programFds;
    }

    /**
     * Installs redirection, or takes over what an earlier agent pinned under {@code pinRoot}: checks the
     * kernel has every needed feature, mounts a BPF file system on {@code pinRoot}'s parent when there is
     * none, loads the programs and pins them with their maps, and attaches the cgroup programs at {@code
     * cgroup} unless their links are pinned already. Over an earlier install the pinned maps are kept (enrolled
     * pods stay enrolled): the same programs are taken over as they are; other programs (another version)
     * replace the pinned ones in place, every pinned link switched atomically ({@link #outcome()} says which).
     * A pinned map whose layout (type, key or value size, capacity, flags) differs from this version's is
     * refused with a {@link BpfException} naming it, and nothing is changed.
     *
     * @param pinRoot e.g. {@link PinLayout#DEFAULT_ROOT}
     * @param cgroup a cgroup v2 directory; the root ({@link CgroupV2#root()}) in production
     * @throws MissingKernelFeatureException naming what the kernel lacks
     */
    public static EbpfRedirection install(Path pinRoot, Path cgroup) {
        return install(pinRoot, cgroup, true);
    }

    /**
     * {@link #install(Path, Path)}, choosing whether the same-node {@code sk_msg} fast path is attached (it
     * is detached when {@code sameNodeFastPath} is false, also if an earlier install attached it).
     *
     * <p>On by default. Redirecting to the peer's receive queue has no backpressure of its own (the kernel
     * queues whatever comes and the sender stays writable), so the program takes the fast path only while the
     * peer's fast-path queue stays within its receive buffer (at least 4 MiB) and the peer has read every byte
     * sent through TCP before; otherwise the bytes go through TCP, whose windows hold a fast writer back as
     * usual, and the stream order holds. Turning it off leaves the pairing in place (for diagnostics) and sends
     * everything through TCP.
     */
    public static EbpfRedirection install(Path pinRoot, Path cgroup, boolean sameNodeFastPath) {
        return install(pinRoot, cgroup, KernelFeature.REDIRECTION, sameNodeFastPath);
    }

    /** {@link #install(Path, Path, boolean)} checking for {@code required} features first. */
    static EbpfRedirection install(Path pinRoot, Path cgroup, List<KernelFeature> required, boolean sameNodeFastPath) {
        return install(pinRoot, cgroup, required, sameNodeFastPath, OBJECT_RESOURCE);
    }

    /** {@link #install(Path, Path, boolean)} of the programs in {@code objectResource} (tests load other builds). */
    static synchronized EbpfRedirection install(
            Path pinRoot, Path cgroup, List<KernelFeature> required, boolean sameNodeFastPath, String objectResource) {
        KernelFeature.requireAll(required);
        PinLayout pins = new PinLayout(pinRoot);
        BpfFileSystem.ensureMounted(pins.root());
        InstallOutcome outcome;
        if (RedirectionPins.anyMapPinned(pins)) {
            outcome = RedirectionPins.loadOver(pins, objectResource);
            if (outcome == InstallOutcome.REUSED) {
                LOG.info("reusing the eBPF redirection pinned under {}", pinRoot);
            }
        } else {
            if (RedirectionPins.hasAnyPin(pins)) {
                LOG.warn("eBPF redirection pins without maps under {}: removing them and installing afresh", pinRoot);
                RedirectionPins.removePins(pins);
                BpfFileSystem.ensureMounted(pins.root());
            }
            RedirectionPins.loadAndPin(pins, objectResource);
            outcome = InstallOutcome.INSTALLED;
        }
        EbpfRedirection redirection = open(pins, outcome);
        try {
            RedirectionPins.attachToCgroup(pins, cgroup, redirection::programFd);
            RedirectionPins.setFastPath(
                    redirection.programFd(SK_MSG), redirection.mapFd(LOCAL_PAIRS), sameNodeFastPath);
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
        if (!RedirectionPins.completelyPinned(pins)) {
            throw new BpfException("no complete eBPF redirection is pinned under " + pinRoot + " (expected maps " + MAPS
                    + " and programs " + PROGRAMS + ")");
        }
        return open(pins, InstallOutcome.REUSED);
    }

    /** Whether every map, program and cgroup link is pinned under {@code pinRoot}. */
    public static boolean isInstalled(Path pinRoot) {
        PinLayout pins = new PinLayout(pinRoot);
        return RedirectionPins.completelyPinned(pins) && RedirectionPins.cgroupLinksPinned(pins);
    }

    /**
     * Removes every pin under {@code pinRoot} and the directory itself: the cgroup and {@code sk_lookup} links
     * detach and the maps and programs are freed once no process holds them. Nothing pinned: no-op.
     */
    public static void uninstall(Path pinRoot) {
        RedirectionPins.removePins(new PinLayout(pinRoot));
    }

    /** Closes this instance's fds, then {@link #uninstall(Path)}s its pin root. */
    public synchronized void uninstall() {
        close();
        RedirectionPins.removePins(pins);
    }

    public PinLayout pins() {
        return pins;
    }

    /** What {@link #install} did: installed afresh, reused the pinned programs, or upgraded them in place. */
    public InstallOutcome outcome() {
        return outcome;
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
            RedirectionPins.detachPinnedLink(link);
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

    private static EbpfRedirection open(PinLayout pins, InstallOutcome outcome) {
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
        return new EbpfRedirection(pins, outcome, maps, programs);
    }

    private static int openPinned(Path path) {
        return Libbpf.check(Libbpf.objGet(path.toString()), "opening pinned " + path);
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
