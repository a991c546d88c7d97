package io.ambientjava.meshctl.local;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Where the demo finds the other components' shaded jars and its own classes. */
public record DemoJars(Path istiod, Path ztunnel, Path nodeAgent, Path meshctlClasses, Path waypoint) {

    /** Without a waypoint jar given: {@code waypoint/target/waypoint.jar} beside the ztunnel module's folder. */
    public DemoJars(Path istiod, Path ztunnel, Path nodeAgent, Path meshctlClasses) {
        this(istiod, ztunnel, nodeAgent, meshctlClasses, besideZtunnel(ztunnel));
    }

    private static Path besideZtunnel(Path ztunnel) {
        Path module = ztunnel.toAbsolutePath().getParent().getParent();
        return module.resolveSibling("waypoint").resolve("target").resolve("waypoint.jar");
    }

    /** The waypoint jar, with a clear message when it was not built. */
    @Override
    public Path waypoint() {
        if (!Files.isRegularFile(waypoint)) {
            throw new IllegalStateException(waypoint + " does not exist; build it with"
                    + " `./mvnw -B -q -pl waypoint install -DskipTests` (or pass --repo)");
        }
        return waypoint;
    }

    /** Looks under {@code root} (the repository) for the built jars, with a clear message for a missing one. */
    public static DemoJars locate(Path root) {
        return new DemoJars(
                find(root, "istiod-lite/target/istiod-lite.jar", "istiod-lite"),
                find(root, "ztunnel-java/target/ztunnel.jar", "ztunnel-java"),
                find(root, "cni-plugin/target/ambient-cni.jar", "cni-plugin"),
                ownClasses(),
                root.resolve("waypoint/target/waypoint.jar").toAbsolutePath());
    }

    /**
     * The same jars copied into {@code folder}, so that a module rebuilt while the mesh runs (its shaded jar rewritten
     * in place) does not pull classes from under a running component.
     */
    public DemoJars copiedTo(Path folder) throws java.io.IOException {
        Files.createDirectories(folder);
        return new DemoJars(
                copy(istiod, folder),
                copy(ztunnel, folder),
                copy(nodeAgent, folder),
                meshctlClasses,
                Files.isRegularFile(waypoint) ? copy(waypoint, folder) : waypoint);
    }

    private static Path copy(Path jar, Path folder) throws java.io.IOException {
        Path target = folder.resolve(jar.getFileName());
        Files.copy(jar, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return target;
    }

    /** The repository root: the working directory, or where meshctl.jar sits ({@code <root>/meshctl/target}). */
    public static Path defaultRoot() {
        List<Path> candidates = new ArrayList<>();
        candidates.add(Path.of("").toAbsolutePath());
        candidates.add(Path.of("").toAbsolutePath().getParent());
        Path own = ownClasses();
        if (own.getParent() != null && own.getParent().getParent() != null) {
            candidates.add(own.getParent().getParent().getParent());
        }
        return candidates.stream()
                .filter(c -> c != null && Files.isDirectory(c.resolve("ztunnel-java")))
                .findFirst()
                .orElse(candidates.getFirst());
    }

    private static Path find(Path root, String relative, String module) {
        Path jar = root.resolve(relative);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " does not exist; build it with" + " `./mvnw -B -q -pl " + module
                    + " install -DskipTests` (or pass --repo)");
        }
        return jar.toAbsolutePath();
    }

    /** meshctl's own jar or classes folder, the class path for {@link DemoApp}. */
    static Path ownClasses() {
        try {
            return Path.of(DemoApp.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot tell where meshctl's classes are", e);
        }
    }

    /** The JVM this meshctl runs on (Java 25), for every child JVM. */
    public static String java() {
        return ProcessHandle.current()
                .info()
                .command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
