package io.ambientjava.bpf;

import static io.ambientjava.bpf.EbpfRedirection.BIND4;
import static io.ambientjava.bpf.EbpfRedirection.BIND6;
import static io.ambientjava.bpf.EbpfRedirection.CONNECT4;
import static io.ambientjava.bpf.EbpfRedirection.CONNECT6;
import static io.ambientjava.bpf.EbpfRedirection.GETPEERNAME4;
import static io.ambientjava.bpf.EbpfRedirection.GETPEERNAME6;
import static io.ambientjava.bpf.EbpfRedirection.GETSOCKOPT;
import static io.ambientjava.bpf.EbpfRedirection.LOCAL_PAIRS;
import static io.ambientjava.bpf.EbpfRedirection.MAPS;
import static io.ambientjava.bpf.EbpfRedirection.PROGRAMS;
import static io.ambientjava.bpf.EbpfRedirection.SK_LOOKUP;
import static io.ambientjava.bpf.EbpfRedirection.SK_MSG;
import static io.ambientjava.bpf.EbpfRedirection.SOCKOPS;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel objects of eBPF redirection on the BPF file system: loading and pinning them, attaching the
 * cgroup programs through pinned links, and taking all of it down again (links detached at once, every pin
 * removed).
 */
final class RedirectionPins {
    private static final Logger LOG = LoggerFactory.getLogger(RedirectionPins.class);

    /** The fd of a program by name. */
    interface ProgramFds {
        int fd(String program);
    }

    private RedirectionPins() {}

    // enum bpf_attach_type
    private static final int BPF_CGROUP_SOCK_OPS = 3;
    private static final int BPF_SK_MSG_VERDICT = 7;
    private static final int BPF_CGROUP_INET4_BIND = 8;
    private static final int BPF_CGROUP_INET6_BIND = 9;
    private static final int BPF_CGROUP_INET4_CONNECT = 10;
    private static final int BPF_CGROUP_INET6_CONNECT = 11;
    private static final int BPF_CGROUP_GETSOCKOPT = 21;
    private static final int BPF_CGROUP_INET4_GETPEERNAME = 29;
    private static final int BPF_CGROUP_INET6_GETPEERNAME = 30;

    /** The cgroup attachments, by link pin name. */
    private record CgroupAttachment(String link, String program, int attachType) {}

    private static final List<CgroupAttachment> CGROUP_ATTACHMENTS = List.of(
            new CgroupAttachment("cgroup-connect4", CONNECT4, BPF_CGROUP_INET4_CONNECT),
            new CgroupAttachment("cgroup-getsockopt", GETSOCKOPT, BPF_CGROUP_GETSOCKOPT),
            new CgroupAttachment("cgroup-connect6", CONNECT6, BPF_CGROUP_INET6_CONNECT),
            new CgroupAttachment("cgroup-getpeername4", GETPEERNAME4, BPF_CGROUP_INET4_GETPEERNAME),
            new CgroupAttachment("cgroup-getpeername6", GETPEERNAME6, BPF_CGROUP_INET6_GETPEERNAME),
            new CgroupAttachment("cgroup-sockops", SOCKOPS, BPF_CGROUP_SOCK_OPS),
            new CgroupAttachment("cgroup-bind4", BIND4, BPF_CGROUP_INET4_BIND),
            new CgroupAttachment("cgroup-bind6", BIND6, BPF_CGROUP_INET6_BIND));

    static void attachToCgroup(PinLayout pins, Path cgroup, ProgramFds programs) {
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
                        programs.fd(attachment.program()),
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

    static void loadAndPin(PinLayout pins, String objectResource) {
        try (BpfObject object = BpfObject.openResource(objectResource)) {
            object.load();
            createDirectories(pins);
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

    /**
     * Loads {@code objectResource} over what is pinned under {@code pins}, keeping the pinned maps (and so every
     * enrolled pod, listener and paired socket): when its programs are the pinned ones, nothing changes
     * ({@link InstallOutcome#REUSED}); otherwise every pinned link is switched to the new program at once
     * ({@code bpf_link_update}: no moment without redirection), the {@code sk_msg} program is replaced on the
     * pair map, the program pins are replaced (rename over the old pin) and pins of maps or programs this
     * version no longer has are removed ({@link InstallOutcome#UPGRADED}).
     *
     * @throws BpfException naming every map whose pinned layout this version cannot use; nothing is changed then
     */
    static InstallOutcome loadOver(PinLayout pins, String objectResource) {
        Map<String, Integer> pinnedMaps = new LinkedHashMap<>();
        try (BpfObject object = BpfObject.openResource(objectResource)) {
            List<String> mismatches = new ArrayList<>();
            for (String map : MAPS) {
                int fd = Libbpf.objGet(pins.map(map).toString());
                if (fd < 0) {
                    continue; // new in this version: created by the load
                }
                pinnedMaps.put(map, fd);
                MapLayout pinned = Libbpf.mapLayout(fd, "reading the layout of pinned map " + map);
                MapLayout declared = object.declaredLayout(map);
                if (!pinned.equals(declared)) {
                    mismatches.add(map + " (pinned: " + pinned + "; this version: " + declared + ")");
                } else {
                    object.reuseMap(map, fd);
                }
            }
            if (!mismatches.isEmpty()) {
                throw new BpfException("the eBPF redirection pinned under " + pins.root()
                        + " has maps whose layout this version cannot take over: " + String.join(", ", mismatches)
                        + ". Nothing was changed; uninstall it first (enrolled pods must then be enrolled again)");
            }
            object.load();
            if (samePrograms(pins, object)) {
                return InstallOutcome.REUSED;
            }
            createDirectories(pins);
            for (String map : MAPS) {
                if (!pinnedMaps.containsKey(map)) {
                    Libbpf.pin(object.mapFd(map), pins.map(map).toString());
                }
            }
            switchLinks(pins, object::programFd);
            int pairs = pinnedMaps.containsKey(LOCAL_PAIRS) ? pinnedMaps.get(LOCAL_PAIRS) : object.mapFd(LOCAL_PAIRS);
            Libbpf.progAttach(
                    object.programFd(SK_MSG), pairs, BPF_SK_MSG_VERDICT, "replacing " + SK_MSG + " on " + LOCAL_PAIRS);
            for (String program : PROGRAMS) {
                replacePin(object.programFd(program), pins.program(program));
            }
            removeUnknownPins(pins);
            LOG.info("upgraded the eBPF redirection pinned under {} in place (maps kept)", pins.root());
            return InstallOutcome.UPGRADED;
        } finally {
            pinnedMaps.values().forEach(Libc::close);
        }
    }

    private static boolean samePrograms(PinLayout pins, BpfObject object) {
        for (String program : PROGRAMS) {
            int pinned = Libbpf.objGet(pins.program(program).toString());
            if (pinned < 0) {
                return false;
            }
            try {
                long pinnedTag = Libbpf.programIdentity(pinned, "reading pinned program " + program)
                        .tag();
                long newTag = Libbpf.programIdentity(object.programFd(program), "reading program " + program)
                        .tag();
                if (pinnedTag != newTag) {
                    return false;
                }
            } finally {
                Libc.close(pinned);
            }
        }
        return true;
    }

    /** Points every pinned link (cgroup attachments, the pods' sk_lookup links) at the new programs. */
    private static void switchLinks(PinLayout pins, ProgramFds programs) {
        List<Path> links;
        try (Stream<Path> entries = Files.list(pins.links())) {
            links = entries.toList();
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            throw new BpfException("cannot list the links under " + pins.links() + ": " + e.getMessage(), e);
        }
        for (Path link : links) {
            Optional<String> program = programOfLink(link.getFileName().toString());
            if (program.isEmpty()) {
                continue;
            }
            int fd = Libbpf.check(Libbpf.objGet(link.toString()), "opening pinned link " + link);
            try {
                Libbpf.linkUpdate(
                        fd, programs.fd(program.get()), "switching link " + link + " to the new " + program.get());
            } finally {
                Libc.close(fd);
            }
        }
    }

    private static Optional<String> programOfLink(String linkName) {
        if (linkName.startsWith("sk_lookup-")) {
            return Optional.of(SK_LOOKUP);
        }
        return CGROUP_ATTACHMENTS.stream()
                .filter(a -> a.link().equals(linkName))
                .map(CgroupAttachment::program)
                .findFirst();
    }

    /** Pins {@code fd} at {@code pin}, replacing what was pinned there in one rename. */
    private static void replacePin(int fd, Path pin) {
        // No dots: the BPF file system refuses them in names. No program name has a dash.
        Path fresh = pin.resolveSibling(pin.getFileName() + "-upgrading");
        try {
            Files.deleteIfExists(fresh);
            Libbpf.pin(fd, fresh.toString());
            Files.move(fresh, pin, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new BpfException("cannot replace pin " + pin + ": " + e.getMessage(), e);
        }
    }

    /** Removes map and program pins of names this version does not have (left by an older one). */
    private static void removeUnknownPins(PinLayout pins) {
        removeOthers(pins.maps(), new HashSet<>(MAPS));
        removeOthers(pins.programs(), new HashSet<>(PROGRAMS));
    }

    private static void removeOthers(Path directory, Set<String> known) {
        try (Stream<Path> entries = Files.list(directory)) {
            for (Path entry : entries.toList()) {
                if (!known.contains(entry.getFileName().toString())) {
                    LOG.info("removing pin {}: this version has no such object", entry);
                    Files.deleteIfExists(entry);
                }
            }
        } catch (IOException e) {
            throw new BpfException("cannot clean up " + directory + ": " + e.getMessage(), e);
        }
    }

    static boolean anyMapPinned(PinLayout pins) {
        return MAPS.stream().anyMatch(map -> Files.exists(pins.map(map)));
    }

    /**
     * Attaches the {@code sk_msg} fast path to the pair sockhash, or detaches it. It attaches to the map
     * itself, so the attachment lives as long as the (pinned) map; attaching again replaces it.
     */
    static void setFastPath(int programFd, int pairsMapFd, boolean enabled) {
        if (enabled) {
            Libbpf.progAttach(
                    programFd, pairsMapFd, BPF_SK_MSG_VERDICT, "attaching " + SK_MSG + " to map " + LOCAL_PAIRS);
        } else {
            // Fails with ENOENT when it was not attached, which is what is wanted anyway.
            Libbpf.progDetach(programFd, pairsMapFd, BPF_SK_MSG_VERDICT);
        }
    }

    static boolean cgroupLinksPinned(PinLayout pins) {
        return CGROUP_ATTACHMENTS.stream().allMatch(a -> Files.exists(pins.link(a.link())));
    }

    static boolean completelyPinned(PinLayout pins) {
        return MAPS.stream().allMatch(map -> Files.exists(pins.map(map)))
                && PROGRAMS.stream().allMatch(program -> Files.exists(pins.program(program)));
    }

    static boolean hasAnyPin(PinLayout pins) {
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

    static void removePins(PinLayout pins) {
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
        links.forEach(RedirectionPins::detachPinnedLink);
        int program = Libbpf.objGet(pins.program(SK_MSG).toString());
        int map = Libbpf.objGet(pins.map(LOCAL_PAIRS).toString());
        if (program >= 0 && map >= 0) {
            Libbpf.progDetach(program, map, BPF_SK_MSG_VERDICT);
        }
        Libc.close(program);
        Libc.close(map);
    }

    static void detachPinnedLink(Path link) {
        int fd = Libbpf.objGet(link.toString());
        if (fd >= 0) {
            int result = Libbpf.linkDetach(fd);
            Libc.close(fd);
            if (result < 0) {
                LOG.warn("cannot detach link {}: {}", link, Libbpf.describe(result));
            }
        }
    }
}
