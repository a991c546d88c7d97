package io.ambientjava.perf.memory;

import java.util.ArrayList;
import java.util.List;

/**
 * A library's classes, by package prefix. {@link #WAYPOINT_STACK} splits what the waypoint loads into the libraries
 * the developers' guide names for it; whatever matches none of them falls into a last group.
 */
public record LibraryGroup(String name, List<String> packagePrefixes) {

    public static final List<LibraryGroup> WAYPOINT_STACK = List.of(
            new LibraryGroup("the JDK", List.of("java.", "javax.", "jdk.", "sun.", "com.sun.")),
            new LibraryGroup("Netty", List.of("io.netty.")),
            new LibraryGroup("gRPC, protobuf, Guava", List.of("io.grpc.", "com.google.", "io.perfmark.")),
            new LibraryGroup(
                    "Envoy API, xDS, PGV", List.of("io.envoyproxy.", "com.github.xds.", "udpa.", "xds.", "validate.")));

    public LibraryGroup {
        packagePrefixes = List.copyOf(packagePrefixes);
    }

    boolean contains(String className) {
        return packagePrefixes.stream().anyMatch(className::startsWith);
    }

    /** One step of a cumulative measurement: a label and every class loaded up to and including it. */
    public record Step(String label, List<String> classNames) {}

    /**
     * The cumulative steps for {@code classNames}: nothing, then each group in order added to the previous step,
     * then the classes no group claimed ("everything else"), so the last step loads them all.
     */
    public static List<Step> cumulativeSteps(List<LibraryGroup> groups, List<String> classNames) {
        List<Step> steps = new ArrayList<>();
        steps.add(new Step("nothing (the JVM with the same options, the jar open)", List.of()));
        List<String> sofar = new ArrayList<>();
        for (LibraryGroup group : groups) {
            classNames.stream()
                    .filter(group::contains)
                    .filter(n -> groups.stream().takeWhile(g -> g != group).noneMatch(g -> g.contains(n)))
                    .forEach(sofar::add);
            steps.add(new Step("+ " + group.name(), List.copyOf(sofar)));
        }
        List<String> unclaimed = classNames.stream()
                .filter(n -> groups.stream().noneMatch(g -> g.contains(n)))
                .toList();
        sofar.addAll(unclaimed);
        steps.add(new Step("+ everything else", List.copyOf(sofar)));
        return steps;
    }
}
