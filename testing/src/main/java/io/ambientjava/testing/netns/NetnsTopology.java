package io.ambientjava.testing.netns;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit 5 extension that builds a small cluster out of network namespaces and removes it afterwards.
 *
 * <pre>
 * fabric netns (only with 2+ nodes): bridge br0 joining the nodes' uplinks, 198.18.255.0/24
 * node1 netns: uplink 198.18.255.1, br0 198.18.1.1/24, forwarding on, 198.18.2.0/24 via 198.18.255.2
 *   pod a netns: eth0 198.18.1.2/24 (veth peer p2 on node1's br0), lo up, default via 198.18.1.1
 *   pod b netns: eth0 198.18.1.3/24 (veth peer p3)
 * node2 netns: uplink 198.18.255.2, br0 198.18.2.1/24, forwarding on, 198.18.1.0/24 via 198.18.255.1
 *   pod c netns: eth0 198.18.2.2/24, default via 198.18.2.1
 * </pre>
 *
 * <p>Each node is a namespace of its own rather than bridges in the host namespace: a node's ztunnel
 * process runs inside its node ({@link Node#start}) with its own loopback and ports, is handed only its
 * own pods' namespaces, and reaches the other node's pods through routing like a real node would. The
 * host namespace is never changed (no addresses, routes, sysctls or links), so parallel runs can use the
 * very same addresses without meeting; only namespace names are global and they carry a unique prefix.
 *
 * <p>The plumbing uses the {@code ip} and {@code nft} commands; Java code runs inside a namespace through
 * {@link NamespacedHost#call}. Register it as a static field for one topology per class, or as an
 * instance field for one per test:
 *
 * <pre>{@code
 * @RegisterExtension final NetnsTopology net = NetnsTopology.withNodes(2);
 * ... Pod a = net.node(1).addPod("a"); Pod c = net.node(2).addPod("c");
 * }</pre>
 *
 * <p>Namespaces are created on first use and everything (processes, servers, resources registered with
 * {@link #onTeardown}, then the namespaces with their links, bridges and nftables tables) is removed after
 * the test or class, also when it failed, and by a shutdown hook if the JVM exits first. A later run
 * deletes what a killed JVM left behind. It can also be used directly with try-with-resources.
 */
public final class NetnsTopology implements BeforeAllCallback, AfterAllCallback, AfterEachCallback, AutoCloseable {
    private static final Pattern POD_NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,14}");
    private static final AtomicBoolean STALE_SWEPT = new AtomicBoolean();

    private final int nodeCount;
    private boolean classScoped;

    // Guarded by this.
    private String runPrefix;
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, Pod> pods = new LinkedHashMap<>();
    private final List<String> ownedNetns = new ArrayList<>();
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private Thread shutdownHook;

    private NetnsTopology(int nodeCount) {
        if (nodeCount < 1 || nodeCount > TopologyAddresses.MAX_NODES) {
            throw new IllegalArgumentException(
                    "node count must be 1.." + TopologyAddresses.MAX_NODES + ", was " + nodeCount);
        }
        this.nodeCount = nodeCount;
    }

    public static NetnsTopology singleNode() {
        return new NetnsTopology(1);
    }

    public static NetnsTopology withNodes(int count) {
        return new NetnsTopology(count);
    }

    /** Creates the nodes (and the fabric) unless they exist. Called implicitly by every accessor. */
    public synchronized NetnsTopology start() {
        if (runPrefix != null) {
            return this;
        }
        sweepStaleOnce();
        runPrefix = NetnsNames.newRunPrefix();
        shutdownHook = Thread.ofPlatform().unstarted(this::closeQuietly);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        try {
            for (int index = 1; index <= nodeCount; index++) {
                nodes.add(createNode(index));
            }
            if (nodeCount > 1) {
                createFabric();
            }
        } catch (RuntimeException e) {
            closeQuietly();
            throw e;
        }
        return this;
    }

    /** Node {@code index}, 1-based. */
    public synchronized Node node(int index) {
        start();
        if (index < 1 || index > nodes.size()) {
            throw new IllegalArgumentException("no node " + index + "; this topology has nodes 1.." + nodes.size());
        }
        return nodes.get(index - 1);
    }

    public synchronized List<Node> nodes() {
        start();
        return List.copyOf(nodes);
    }

    /** Adds a pod to node 1. */
    public Pod addPod(String name) {
        return node(1).addPod(name);
    }

    public synchronized Pod pod(String name) {
        Pod pod = pods.get(name);
        if (pod == null) {
            throw new IllegalArgumentException("no pod named '" + name + "'; pods are " + pods.keySet());
        }
        return pod;
    }

    /** The prefix of every namespace name this topology creates (changes when it is rebuilt). */
    public synchronized String runPrefix() {
        start();
        return runPrefix;
    }

    /** The namespaces this topology currently owns, fabric and nodes first. */
    public synchronized List<String> netnsNames() {
        return List.copyOf(ownedNetns);
    }

    /**
     * Closes {@code resource} at teardown, before the namespaces go (last registered, first closed): for
     * event loops, channels and other things a test opened inside the pods.
     */
    public synchronized <T extends AutoCloseable> T onTeardown(T resource) {
        resources.push(resource);
        return resource;
    }

    synchronized Pod addPod(Node node, String name) {
        if (!POD_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("pod name '" + name + "' must match " + POD_NAME.pattern());
        }
        if (pods.containsKey(name)) {
            throw new IllegalArgumentException("pod '" + name + "' already exists in this topology");
        }
        int host = TopologyAddresses.FIRST_POD_HOST + node.pods().size();
        if (host > TopologyAddresses.LAST_POD_HOST) {
            throw new IllegalStateException(node.name() + " has no free address left for pod '" + name + "'");
        }
        String netns = addNetns("pod-" + name);
        Pod pod = new Pod(this, name, node, TopologyAddresses.pod(node.index(), host), netns);
        String veth = "p" + host;
        ipBatch(
                node.netnsName(),
                "link add " + veth + " type veth peer name eth0 netns " + netns,
                "link set " + veth + " master br0 up");
        ipBatch(
                netns,
                "link set lo up",
                "addr add " + pod.ip().getHostAddress() + "/24 dev eth0",
                "link set eth0 up",
                "route add default via " + node.gateway().getHostAddress());
        node.attach(pod);
        pods.put(name, pod);
        return pod;
    }

    private Node createNode(int index) {
        Node node = new Node(this, index, addNetns("node" + index));
        ipBatch(
                node.netnsName(),
                "link set lo up",
                "link add br0 type bridge",
                "addr add " + node.gateway().getHostAddress() + "/24 dev br0",
                "link set br0 up");
        try {
            node.call(() -> Files.writeString(Path.of("/proc/sys/net/ipv4/ip_forward"), "1"));
        } catch (Exception e) {
            throw new IllegalStateException("cannot enable forwarding in " + node, e);
        }
        return node;
    }

    private void createFabric() {
        String fabric = addNetns("fabric");
        List<String> commands =
                new ArrayList<>(List.of("link set lo up", "link add br0 type bridge", "link set br0 up"));
        for (Node node : nodes) {
            String port = "node" + node.index();
            commands.add("link add " + port + " type veth peer name uplink netns " + node.netnsName());
            commands.add("link set " + port + " master br0 up");
        }
        ipBatch(fabric, commands.toArray(String[]::new));
        for (Node node : nodes) {
            List<String> uplink = new ArrayList<>(List.of(
                    "addr add " + node.fabricAddress().getHostAddress() + "/24 dev uplink", "link set uplink up"));
            for (Node other : nodes) {
                if (other != node) {
                    uplink.add("route add " + other.subnet() + " via "
                            + other.fabricAddress().getHostAddress());
                }
            }
            ipBatch(node.netnsName(), uplink.toArray(String[]::new));
        }
    }

    private String addNetns(String role) {
        String name = runPrefix + role;
        CommandRunner.run(List.of(NamespacedHost.IP, "netns", "add", name)).orThrow();
        ownedNetns.add(name);
        return name;
    }

    private static void ipBatch(String netns, String... commands) {
        String script = String.join("\n", commands) + "\n";
        CommandRunner.run(List.of(NamespacedHost.IP, "-n", netns, "-batch", "-"), script, CommandRunner.DEFAULT_TIMEOUT)
                .orThrow();
    }

    /** Removes everything this topology created. It can be used again afterwards (with new names). */
    @Override
    public synchronized void close() {
        List<Exception> failures = new ArrayList<>();
        while (!resources.isEmpty()) {
            try {
                resources.pop().close();
            } catch (Exception e) {
                failures.add(e);
            }
        }
        // Pods before nodes before the fabric; deleting a namespace deletes its interfaces, the veth
        // peers on the other side, bridges and nftables tables with it.
        for (String netns : ownedNetns.reversed()) {
            try {
                deleteNetns(netns);
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        ownedNetns.clear();
        nodes.clear();
        pods.clear();
        runPrefix = null;
        removeShutdownHook();
        if (!failures.isEmpty()) {
            IllegalStateException failure = new IllegalStateException("topology teardown was incomplete");
            failures.forEach(failure::addSuppressed);
            throw failure;
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException e) {
            System.err.println("netns topology teardown: " + e);
            for (Throwable suppressed : e.getSuppressed()) {
                System.err.println("  " + suppressed);
            }
        }
    }

    private void removeShutdownHook() {
        if (shutdownHook == null) {
            return;
        }
        try {
            if (Thread.currentThread() != shutdownHook) {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            }
        } catch (IllegalStateException alreadyShuttingDown) {
            // The hook is running or about to; nothing left for it to do.
        }
        shutdownHook = null;
    }

    /** Kills what still runs in the namespace (children of started processes, say), then deletes it. */
    static void deleteNetns(String netns) {
        CommandResult pids = CommandRunner.run(List.of(NamespacedHost.IP, "netns", "pids", netns));
        long self = ProcessHandle.current().pid();
        for (String pid : pids.stdout().split("\\s+")) {
            if (!pid.isBlank() && Long.parseLong(pid) != self) {
                ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        CommandResult deleted = CommandRunner.run(List.of(NamespacedHost.IP, "netns", "delete", netns));
        if (!deleted.succeeded() && Files.exists(Path.of("/var/run/netns", netns))) {
            deleted.orThrow();
        }
    }

    static List<String> listNetns() {
        CommandResult list =
                CommandRunner.run(List.of(NamespacedHost.IP, "netns", "list")).orThrow();
        // Lines read "name" or "name (id: 3)".
        return list.stdout()
                .lines()
                .map(line -> line.split("\\s+")[0])
                .filter(name -> !name.isEmpty())
                .toList();
    }

    private static void sweepStaleOnce() {
        if (!STALE_SWEPT.compareAndSet(false, true)) {
            return;
        }
        String tag = NetnsNames.pidNamespaceTag();
        if (tag.equals("unknown")) {
            return;
        }
        for (String stale : NetnsNames.staleNames(listNetns(), tag, NetnsNames::pidAlive)) {
            try {
                deleteNetns(stale);
            } catch (RuntimeException e) {
                System.err.println("cannot delete stale namespace " + stale + ": " + e.getMessage());
            }
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        classScoped = true;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (!classScoped) {
            close();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    @Override
    public synchronized String toString() {
        return "NetnsTopology(" + nodeCount + " nodes, " + pods.size() + " pods"
                + (runPrefix == null ? ", not started)" : ", " + runPrefix + "*)");
    }
}
