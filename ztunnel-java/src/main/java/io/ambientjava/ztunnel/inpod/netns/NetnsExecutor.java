package io.ambientjava.ztunnel.inpod.netns;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs short pieces of work (creating sockets) with a thread inside a pod's network namespace.
 *
 * <p>Design: one dedicated platform thread serves every namespace; for each task it enters the target
 * namespace with {@code setns}, runs the work, and goes back to the namespace it started in (its "home"),
 * checking with {@code statx} on {@code /proc/thread-self/ns/net} both that it entered the right one and
 * that it is home again. Why one shared thread rather than a thread parked in each pod's namespace:
 * <ul>
 *   <li>A socket keeps the namespace it was created in for its whole life, so a thread is only needed for
 *       the microseconds of {@code socket()}; afterwards the Netty event loops (in the host namespace) do
 *       all the I/O. A thread per pod would idle almost always, and a node runs a hundred pods or more.
 *   <li>Entering and leaving costs a few microseconds, small next to a TCP handshake, and the queue
 *       serialises work that is itself that short. It is what upstream ztunnel does, on its calling thread.
 *   <li>Only this one thread ever changes namespace, so the risk is contained and checked: if it cannot
 *       get home, the executor stops for good (every later task fails) rather than leave a thread in a
 *       pod. The process should treat that as fatal, as upstream does.
 * </ul>
 *
 * <p>Rules for the work: it must be short and must not wait for other threads that might wait for this
 * one (Netty's {@code bind()}/{@code connect()} return at once: fine; {@code sync()} on them is not). It
 * must not start threads: Linux gives a new thread the namespace of the thread that creates it, and a
 * pooled one (an event loop started lazily, a virtual-thread carrier) would keep it. {@link NettyInNetns}
 * starts the event loops before it hops here. Futures are completed after the thread is back home, so
 * their dependent stages never run inside a pod.
 */
public final class NetnsExecutor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NetnsExecutor.class);
    private static final Task<?> STOP = new Task<>(null, () -> null, new CompletableFuture<>());

    private final String name;
    private final BlockingQueue<Task<?>> queue = new LinkedBlockingQueue<>();
    private final CompletableFuture<NetnsId> home = new CompletableFuture<>();
    private final Thread worker;
    // Guards closed/broken against the queue, so no task is queued behind STOP or after a failure.
    private final Object lifecycle = new Object();
    private boolean closed;
    private Throwable broken;
    /** The namespace the worker is in while it runs work; null while it is home. */
    private volatile NetworkNamespace entered;

    private record Task<T>(NetworkNamespace namespace, Callable<T> work, CompletableFuture<T> result) {}

    /**
     * Starts the worker thread. It inherits the caller's namespace as its home, so create the executor
     * from a thread in the host (ztunnel's own) namespace.
     */
    public NetnsExecutor(String name) throws ErrnoException {
        this.name = name;
        this.worker = Thread.ofPlatform().name("netns-" + name).daemon().start(this::workLoop);
        try {
            home.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ErrnoException errno) {
                throw errno;
            }
            throw new IllegalStateException("netns worker " + name + " failed to start", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting netns worker " + name, e);
        }
    }

    /** The namespace the worker returns to after each task. */
    public NetnsId home() {
        return home.join();
    }

    /**
     * Runs {@code work} with the worker inside {@code namespace}. The future completes (after the worker
     * is home again) with the work's result or exception, or fails when the namespace cannot be entered.
     */
    public <T> CompletableFuture<T> run(NetworkNamespace namespace, Callable<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        synchronized (lifecycle) {
            if (broken != null) {
                result.completeExceptionally(brokenException(broken));
            } else if (closed) {
                result.completeExceptionally(closedException());
            } else {
                queue.add(new Task<>(namespace, work, result));
            }
        }
        return result;
    }

    /**
     * Runs {@code work} inside {@code namespace} and waits for it. Called on the worker itself while it
     * is already in that namespace (nested use from work), it runs the work directly.
     */
    public <T> T call(NetworkNamespace namespace, Callable<T> work, Duration timeout) throws Exception {
        if (Thread.currentThread() == worker) {
            NetworkNamespace current = entered;
            if (current != null && current.sameNamespaceAs(namespace)) {
                return work.call();
            }
            throw new IllegalStateException("work running on netns worker " + name + " in " + current
                    + " cannot wait for work in " + namespace + " (it would wait for itself)");
        }
        try {
            return run(namespace, work).get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        } catch (TimeoutException e) {
            throw new TimeoutException(
                    "work in " + namespace + " did not finish within " + timeout + " on netns executor " + name);
        }
    }

    /** Whether the calling thread is this executor's worker, inside {@code namespace}. */
    public boolean isWorkerInside(NetworkNamespace namespace) {
        NetworkNamespace current = entered;
        return Thread.currentThread() == worker && current != null && current.sameNamespaceAs(namespace);
    }

    private void workLoop() {
        NetworkNamespace homeNamespace;
        try {
            homeNamespace = NetworkNamespace.ofCurrentThread();
            home.complete(homeNamespace.id());
        } catch (Throwable e) {
            home.completeExceptionally(e);
            return;
        }
        try (homeNamespace) {
            while (true) {
                Task<?> task = queue.take();
                if (task == STOP || !runTask(task, homeNamespace)) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            log.warn("netns worker {} interrupted; stopping", name);
        } catch (ErrnoException e) {
            log.warn("netns worker {} could not close its home namespace handle", name, e);
        } finally {
            failPending();
        }
    }

    /** Returns false when the worker could not get home and must stop. */
    private <T> boolean runTask(Task<T> task, NetworkNamespace homeNamespace) {
        T value = null;
        Throwable failure = null;
        try {
            enter(task.namespace());
            entered = task.namespace();
            value = task.work().call();
        } catch (Throwable e) {
            failure = e;
        } finally {
            entered = null;
        }
        try {
            // Always, even when entering failed half-way: setns into home is harmless when already there.
            Libc.setns(homeNamespace.fd(), Libc.CLONE_NEWNET);
            NetnsId now = NetworkNamespace.currentThreadId();
            if (!now.equals(homeNamespace.id())) {
                throw new IllegalStateException("back from " + task.namespace() + " the worker is in " + now
                        + ", not home " + homeNamespace.id());
            }
        } catch (Throwable e) {
            synchronized (lifecycle) {
                broken = e;
            }
            log.error(
                    "netns worker {} cannot return home from {}; it stops (result lost: {})",
                    name,
                    task.namespace(),
                    value,
                    e);
            task.result().completeExceptionally(brokenException(e));
            return false;
        }
        if (failure == null) {
            task.result().complete(value);
        } else {
            task.result().completeExceptionally(failure);
        }
        return true;
    }

    private static void enter(NetworkNamespace namespace) throws ErrnoException {
        Libc.setns(namespace.fd(), Libc.CLONE_NEWNET);
        NetnsId now = NetworkNamespace.currentThreadId();
        if (!now.equals(namespace.id())) {
            // The handle was closed and its fd number reused while the task waited.
            throw new IllegalStateException("entering " + namespace + " landed in " + now);
        }
    }

    private IllegalStateException brokenException(Throwable cause) {
        return new IllegalStateException(
                "netns worker " + name + " could not return to its home namespace and has stopped", cause);
    }

    private RejectedExecutionException closedException() {
        return new RejectedExecutionException("netns executor " + name + " is closed");
    }

    private void failPending() {
        synchronized (lifecycle) {
            closed = true;
            Task<?> task;
            while ((task = queue.poll()) != null) {
                if (task != STOP) {
                    task.result().completeExceptionally(broken != null ? brokenException(broken) : closedException());
                }
            }
        }
    }

    /** Finishes the queued tasks, then stops the worker (waits up to 5 s). */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            queue.add(STOP);
        }
        if (Thread.currentThread() != worker) {
            try {
                worker.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "NetnsExecutor(" + name + ", home " + home.getNow(null) + ")";
    }
}
