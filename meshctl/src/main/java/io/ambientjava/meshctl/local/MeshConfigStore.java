package io.ambientjava.meshctl.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.ambientjava.istiod.config.ResourceKey;
import io.ambientjava.istiod.config.ResourceKind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The local mesh's resources as files of the config folder istiod-lite and the node agents read, one resource per
 * file at {@code <group or core>/<Kind>/<namespace or _cluster>/<name>.yaml}, so that applying a resource again
 * replaces it and deleting it removes exactly it. Files are written under a temporary dot-name and renamed (readers
 * skip dot-names); every change runs under an exclusive lock shared by all meshctl processes.
 */
public final class MeshConfigStore {
    /** Where Kubernetes would assign Service cluster IPs; the local mesh's VIP range. */
    static final String VIP_PREFIX = "198.19.";

    private static final YAMLMapper YAML = new YAMLMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

    private final Path dir;
    private final Path lockFile;

    /** What a {@link #put} did, in kubectl's words. */
    public enum Outcome {
        CREATED,
        CONFIGURED,
        UNCHANGED;

        public String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A change made while holding the lock. */
    @FunctionalInterface
    public interface Change<T> {
        T apply(MeshConfigStore store) throws IOException;
    }

    public MeshConfigStore(Path dir, Path lockFile) {
        this.dir = dir;
        this.lockFile = lockFile;
    }

    public Path dir() {
        return dir;
    }

    /** Runs {@code change} holding the lock against every other meshctl process editing this folder. */
    public <T> T locked(Change<T> change) throws IOException {
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = channel.lock()) {
            return change.apply(this);
        }
    }

    public Path fileFor(ResourceKey key) {
        ResourceKind kind = key.kind();
        return dir.resolve(kind.group().isEmpty() ? "core" : kind.group())
                .resolve(kind.kind())
                .resolve(key.namespace().isEmpty() ? "_cluster" : key.namespace())
                .resolve(key.name() + ".yaml");
    }

    public Optional<ObjectNode> get(ResourceKey key) {
        Path file = fileFor(key);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of((ObjectNode) YAML.readTree(file.toFile()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    public boolean exists(ResourceKey key) {
        return Files.isRegularFile(fileFor(key));
    }

    /** Every stored resource of a kind, in path order. */
    public List<ObjectNode> list(ResourceKind kind) {
        Path kindDir =
                dir.resolve(kind.group().isEmpty() ? "core" : kind.group()).resolve(kind.kind());
        if (!Files.isDirectory(kindDir)) {
            return List.of();
        }
        List<ObjectNode> resources = new ArrayList<>();
        try (Stream<Path> files = Files.walk(kindDir, 2)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")
                            && !f.getFileName().toString().startsWith("."))
                    .sorted()
                    .toList()) {
                if (YAML.readTree(file.toFile()) instanceof ObjectNode resource) {
                    resources.add(resource);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + kindDir, e);
        }
        return resources;
    }

    /** Stores the resource (namespace filled in, a Service given a cluster IP when it has none). */
    public Outcome put(ResourceKey key, ObjectNode resource) throws IOException {
        ObjectNode document = resource.deepCopy();
        ObjectNode metadata = document.with("metadata");
        if (key.kind().namespaced()) {
            metadata.put("namespace", key.namespace());
        }
        Optional<ObjectNode> before = get(key);
        if (key.kind() == ResourceKind.SERVICE) {
            assignClusterIp(key, document, before);
        }
        if (before.isPresent() && before.get().equals(document)) {
            return Outcome.UNCHANGED;
        }
        Path file = fileFor(key);
        Files.createDirectories(file.getParent());
        Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(temp, YAML.writeValueAsString(document));
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return before.isPresent() ? Outcome.CONFIGURED : Outcome.CREATED;
    }

    /** Removes the resource; false when it was not there. */
    public boolean remove(ResourceKey key) throws IOException {
        Path file = fileFor(key);
        if (!Files.deleteIfExists(file)) {
            return false;
        }
        for (Path parent = file.getParent(); !parent.equals(dir); parent = parent.getParent()) {
            try (Stream<Path> left = Files.list(parent)) {
                if (left.findAny().isPresent()) {
                    break;
                }
            }
            Files.delete(parent);
        }
        return true;
    }

    /** Removes every resource stored in a namespace (what deleting the namespace does in Kubernetes). */
    public void removeNamespaced(String namespace) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        List<Path> namespaceDirs;
        try (Stream<Path> walk = Files.walk(dir, 3)) {
            namespaceDirs = walk.filter(p -> dir.relativize(p).getNameCount() == 3
                            && p.getFileName().toString().equals(namespace)
                            && Files.isDirectory(p))
                    .toList();
        }
        for (Path namespaceDir : namespaceDirs) {
            try (Stream<Path> files = Files.list(namespaceDir)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(namespaceDir);
        }
    }

    /**
     * Like Kubernetes: a Service without {@code spec.clusterIP} keeps the one it had, or gets the first free
     * address of the VIP range; {@code None} (headless) and ExternalName Services get none.
     */
    private void assignClusterIp(ResourceKey key, ObjectNode service, Optional<ObjectNode> before) {
        ObjectNode spec = service.with("spec");
        String wanted = spec.path("clusterIP").asText("");
        if (!wanted.isEmpty() || "ExternalName".equals(spec.path("type").asText(""))) {
            return;
        }
        String kept =
                before.map(b -> b.path("spec").path("clusterIP").asText("")).orElse("");
        if (!kept.isEmpty() && !kept.equals("None")) {
            spec.put("clusterIP", kept);
            return;
        }
        Set<String> taken = new HashSet<>();
        for (ObjectNode other : list(ResourceKind.SERVICE)) {
            taken.add(other.path("spec").path("clusterIP").asText(""));
        }
        for (int i = 10; i < 256 * 255; i++) {
            String candidate = VIP_PREFIX + (i / 256) + "." + (i % 256);
            if (i % 256 != 0 && i % 256 != 255 && !taken.contains(candidate)) {
                spec.put("clusterIP", candidate);
                return;
            }
        }
        throw new IllegalStateException("no free cluster IP left in " + VIP_PREFIX + "0.0/16 for " + key);
    }

    public static JsonNode parse(String yaml) throws IOException {
        return YAML.readTree(yaml);
    }
}
