package io.ambientjava.meshctl.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Clears what a demo run killed outright ({@code kill -9}, no shutdown hook) left behind. A run's temporary folder
 * ({@code aj-demo-<random>-...}, or {@code aj-local-<random>-...} for {@code meshctl local up}) holds its owner's pid; when that pid is gone, the run's processes (those in its
 * network namespaces, and those whose command line names its folder), its namespaces and the folder are removed.
 * Runs whose owner is alive are never touched.
 */
public final class StaleMeshes {
    static final String OWNER_FILE = "owner.pid";
    /** The kinds of run, the middle of a run's name {@code aj-<kind>-<random>}. */
    public static final String DEMO = "demo";

    public static final String LOCAL = "local";

    private StaleMeshes() {}

    /** Writes the current process as the owner of a run's folder. */
    static void claim(Path meshDir) throws IOException {
        Files.writeString(
                meshDir.resolve(OWNER_FILE),
                Long.toString(ProcessHandle.current().pid()));
    }

    /** Removes every abandoned run under the temporary folder; returns the names of the runs removed. */
    public static List<String> sweep() {
        List<String> removed = new ArrayList<>();
        try (Stream<Path> entries = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            for (Path dir : entries.filter(StaleMeshes::isMeshDir).toList()) {
                if (abandoned(dir)) {
                    String name = meshName(dir);
                    remove(name, dir);
                    removed.add(name);
                }
            }
        } catch (IOException e) {
            // Nothing to sweep.
        }
        return removed;
    }

    private static boolean isMeshDir(Path dir) {
        return Files.isDirectory(dir) && dir.getFileName().toString().matches("aj-(demo|local)-[0-9a-f]{6}-.*");
    }

    static String meshName(Path dir) {
        String folder = dir.getFileName().toString();
        return folder.substring(0, folder.indexOf('-', "aj-".length()) + 1 + 6);
    }

    private static boolean abandoned(Path dir) {
        try {
            long owner =
                    Long.parseLong(Files.readString(dir.resolve(OWNER_FILE)).strip());
            return ProcessHandle.of(owner).map(p -> !p.isAlive()).orElse(true);
        } catch (IOException | NumberFormatException e) {
            return false; // not ours to judge (or still being created)
        }
    }

    private static void remove(String name, Path dir) {
        String folder = dir.toString();
        ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().orElse("").contains(folder))
                .forEach(ProcessHandle::destroyForcibly);
        List<String> namespaces = HostCommand.of("ip", "netns", "list")
                .run()
                .stdout()
                .lines()
                .map(l -> l.split(" ")[0])
                .filter(n -> n.startsWith(name + "-"))
                .toList();
        for (String netns : namespaces) {
            HostCommand.of("ip", "netns", "pids", netns)
                    .run()
                    .stdout()
                    .lines()
                    .map(String::strip)
                    .filter(l -> l.matches("\\d+"))
                    .forEach(pid -> ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly));
        }
        for (String netns : namespaces.reversed()) {
            HostCommand.of("ip", "netns", "del", netns).run();
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            // Best effort; the next sweep tries again.
        }
    }
}
