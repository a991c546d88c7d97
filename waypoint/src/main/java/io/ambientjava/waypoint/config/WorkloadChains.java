package io.ambientjava.waypoint.config;

import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A listener whose filter chains are picked by the connection's destination address
 * ({@code filter_chain_match.prefix_ranges}): istiod-lite's {@code inbound-pod} listener, with one chain per pod the
 * waypoint takes workload-addressed traffic for. Each chain names exactly one address and no port, and carries the
 * pod's mesh facts in its {@code metadata}, so that its {@code ORIGINAL_DST} cluster can tunnel to the pod as the pod.
 */
final class WorkloadChains {

    static final String CHAIN_PREFIX = "inbound-pod";
    static final String PASSTHROUGH_CLUSTER = "inbound-pod|passthrough";

    private WorkloadChains() {}

    static boolean matchesDestinations(Listener l) {
        for (FilterChain chain : l.getFilterChainsList()) {
            if (chain.hasFilterChainMatch() && chain.getFilterChainMatch().getPrefixRangesCount() > 0) {
                return true;
            }
        }
        return false;
    }

    static ListenerConfig.Workloads translate(Listener l, String path) {
        Map<String, ListenerConfig> byAddress = new LinkedHashMap<>();
        for (int i = 0; i < l.getFilterChainsCount(); i++) {
            FilterChain chain = l.getFilterChains(i);
            String cpath = path + ".filter_chains[" + i + "]";
            FieldGuard.onlyFields(chain, cpath, Set.of("name", "filters", "filter_chain_match", "metadata"));
            String address = address(chain, cpath);
            if (byAddress.containsKey(address)) {
                throw FieldGuard.invalid(cpath + ".filter_chain_match.prefix_ranges", "a second chain for " + address);
            }
            String name = chain.getName().isEmpty() ? CHAIN_PREFIX + "|" + address : chain.getName();
            WorkloadEndpoint pod = chain.hasMetadata()
                    ? WorkloadEndpoint.fromMetadata(chain.getMetadata(), cpath + ".metadata")
                    : WorkloadEndpoint.PLAIN;
            byAddress.put(
                    address,
                    new ListenerConfig(
                            name,
                            address,
                            ListenerConfig.ANY_PORT,
                            ListenerTranslator.kind(chain, cpath, name),
                            Optional.empty(),
                            Optional.of(pod)));
        }
        return new ListenerConfig.Workloads(byAddress);
    }

    /** The one address a chain takes, in the form {@link InetAddress#getHostAddress()} gives. */
    private static String address(FilterChain chain, String cpath) {
        String mpath = cpath + ".filter_chain_match";
        if (!chain.hasFilterChainMatch()) {
            throw FieldGuard.invalid(mpath, "every chain of a listener matched by destination needs prefix_ranges");
        }
        var match = chain.getFilterChainMatch();
        FieldGuard.onlyFields(match, mpath, Set.of("prefix_ranges"));
        if (match.getPrefixRangesCount() != 1) {
            throw FieldGuard.invalid(
                    mpath + ".prefix_ranges",
                    "exactly one range (a pod's address) per chain is supported, was " + match.getPrefixRangesCount());
        }
        CidrRange range = match.getPrefixRanges(0);
        String rpath = mpath + ".prefix_ranges[0]";
        FieldGuard.onlyFields(range, rpath, Set.of("address_prefix", "prefix_len"));
        InetAddress ip;
        try {
            ip = InetAddress.ofLiteral(range.getAddressPrefix());
        } catch (IllegalArgumentException e) {
            throw FieldGuard.invalid(rpath + ".address_prefix", "'" + range.getAddressPrefix() + "' is not an IP");
        }
        int single = ip instanceof Inet4Address ? 32 : 128;
        if (range.getPrefixLen().getValue() != single) {
            throw FieldGuard.invalid(
                    rpath + ".prefix_len",
                    "only single addresses (/" + single + ") are supported, was /"
                            + range.getPrefixLen().getValue());
        }
        return ip.getHostAddress();
    }
}
