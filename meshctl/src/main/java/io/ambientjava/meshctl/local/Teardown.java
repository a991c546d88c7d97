package io.ambientjava.meshctl.local;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Undo steps registered as things are made, run newest first exactly once, each step on its own so that one failure
 * does not leave the rest behind. Safe to call from a shutdown hook and from normal code at the same time.
 */
public final class Teardown {
    /** One undo step. */
    @FunctionalInterface
    public interface Step {
        void run() throws Exception;
    }

    private record Named(String what, Step step) {}

    private final Deque<Named> steps = new ArrayDeque<>();

    public synchronized void add(String what, Step step) {
        steps.push(new Named(what, step));
    }

    /** Runs every step; returns the failures, one line each (empty when everything was undone). */
    public synchronized java.util.List<String> runAll() {
        java.util.List<String> failures = new java.util.ArrayList<>();
        while (!steps.isEmpty()) {
            Named next = steps.pop();
            try {
                next.step().run();
            } catch (Exception | Error e) {
                failures.add(next.what() + ": " + e.getMessage());
            }
        }
        return failures;
    }
}
