package io.ambientjava.cni.runtime;

import io.ambientjava.cni.redirect.PodRedirector;
import java.util.List;

/**
 * One redirection mode as the whole-node tests drive it: what the node agent gets as its redirector, what
 * ztunnel needs on its command line, and how the test sees that a pod is (or is no longer) redirected. The
 * order is {@link #setUp}, then agent and ztunnel start; {@link #close} comes after both stopped.
 */
public interface MeshRedirection extends AutoCloseable {
    /** Prepares the node before anything that redirects or gets redirected starts. */
    void setUp() throws Exception;

    /** A redirector for a (re)starting node agent. */
    PodRedirector startRedirector();

    /** The agent stopped: release what it held, leaving the pods' redirection in place. */
    void stopRedirector();

    /** Extra ztunnel-java options this mode needs. */
    List<String> ztunnelOptions();

    /** Fails unless {@code pod}'s traffic is being redirected. */
    void assertRedirected(Sandbox pod) throws Exception;

    /** Fails if anything of the redirection is left for {@code pod} (deleted through CNI, netns still there). */
    void assertNothingLeftFor(Sandbox pod) throws Exception;

    /** Undoes {@link #setUp}; also after a failure. */
    @Override
    void close() throws Exception;
}
