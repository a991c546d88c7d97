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
import static io.ambientjava.bpf.EbpfRedirection.OBJECT_RESOURCE;
import static io.ambientjava.bpf.EbpfRedirection.PROGRAMS;
import static io.ambientjava.bpf.EbpfRedirection.SK_MSG;
import static io.ambientjava.bpf.EbpfRedirection.SOCKOPS;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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

    static void loadAndPin(PinLayout pins) {
        try (BpfObject object = BpfObject.openResource(OBJECT_RESOURCE)) {
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
