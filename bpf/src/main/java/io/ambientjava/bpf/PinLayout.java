package io.ambientjava.bpf;

import java.nio.file.Path;

/**
 * Where eBPF redirection pins its objects on the BPF file system, so they outlive the agent:
 * {@code <root>/maps/<map>}, {@code <root>/progs/<program>} and {@code <root>/links/<link>}.
 *
 * @param root the directory on a BPF file system, {@code /sys/fs/bpf/ambient} in production
 */
public record PinLayout(Path root) {
    public static final Path DEFAULT_ROOT = Path.of("/sys/fs/bpf/ambient");

    public PinLayout {
        root = root.toAbsolutePath().normalize();
        if (root.getParent() == null) {
            throw new IllegalArgumentException("the pin root must not be / (was " + root + ")");
        }
    }

    public Path maps() {
        return root.resolve("maps");
    }

    public Path programs() {
        return root.resolve("progs");
    }

    public Path links() {
        return root.resolve("links");
    }

    public Path map(String name) {
        return maps().resolve(name);
    }

    public Path program(String name) {
        return programs().resolve(name);
    }

    public Path link(String name) {
        return links().resolve(name);
    }

    /** The link pinning a pod's {@code sk_lookup} attachment, named by its netns cookie. */
    public Path podLink(long netnsCookie) {
        return link("sk_lookup-" + Long.toUnsignedString(netnsCookie));
    }
}
