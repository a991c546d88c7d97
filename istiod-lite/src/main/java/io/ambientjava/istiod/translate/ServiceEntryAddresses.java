package io.ambientjava.istiod.translate;

import io.ambientjava.istiod.config.ConfigSnapshot;
import io.ambientjava.istiod.config.IpPrefix;
import io.ambientjava.istiod.config.ResourceKind;
import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntryResolution;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The addresses of ServiceEntry hosts, as Istio's ambient mode gives them: the entry's {@code addresses}, else the
 * ones Istio's IP auto-allocation controller wrote to its {@code status.addresses} (per host), else one allocated here
 * from the mesh's auto-allocation range (Istio's is {@code 240.240.0.0/16}, a reserved class E range never routed
 * outside a pod). Like Istio, an entry opts out with the label {@code networking.istio.io/enable-autoallocate-ip:
 * "false"}, and a wildcard host or {@code resolution: NONE} gets none.
 *
 * <p>istiod-lite writes no status, so an allocation has to be the same on every translation and every replica: each
 * host's address is a hash of {@code namespace/name/host} into the range, the next free one on a collision, entries
 * taken oldest first (then by namespace and name), so adding an entry never moves an older one.
 */
public final class ServiceEntryAddresses {

    static final String OPT_OUT_LABEL = "networking.istio.io/enable-autoallocate-ip";

    private final Map<String, InetAddress> allocated = new HashMap<>();

    private ServiceEntryAddresses() {}

    /** The allocation for a snapshot; none when {@code settings} has no auto-allocation range. */
    public static ServiceEntryAddresses of(ConfigSnapshot snapshot, MeshSettings settings) {
        ServiceEntryAddresses addresses = new ServiceEntryAddresses();
        Optional<IpPrefix> range = settings.autoAllocateRange();
        if (range.isEmpty()) {
            return addresses;
        }
        List<ServiceEntry> entries = new ArrayList<>(snapshot.all(ResourceKind.SERVICE_ENTRY, ServiceEntry.class));
        entries.sort(Comparator.comparing((ServiceEntry e) -> e.getMetadata().getCreationTimestamp() == null
                        ? ""
                        : e.getMetadata().getCreationTimestamp())
                .thenComparing(e -> e.getMetadata().getNamespace())
                .thenComparing(e -> e.getMetadata().getName()));
        Set<BigInteger> taken = new HashSet<>();
        for (ServiceEntry entry : entries) {
            var spec = entry.getSpec();
            if (spec == null
                    || spec.getHosts() == null
                    || (spec.getAddresses() != null && !spec.getAddresses().isEmpty())
                    || spec.getResolution() == null
                    || spec.getResolution() == ServiceEntryResolution.NONE
                    || "false".equals(LabelSelector.labelsOf(entry).get(OPT_OUT_LABEL))) {
                continue;
            }
            Map<String, InetAddress> fromStatus = fromStatus(entry);
            for (String host : spec.getHosts()) {
                if (host.contains("*")) {
                    continue;
                }
                InetAddress address = fromStatus.get(host);
                if (address == null) {
                    address = allocate(range.get(), key(entry, host), taken);
                }
                if (address != null) {
                    taken.add(new BigInteger(1, address.getAddress()));
                    addresses.allocated.put(key(entry, host), address);
                }
            }
        }
        return addresses;
    }

    /** The address of {@code host} of {@code entry}: its own first, else the allocated one; empty when none. */
    public List<String> of(ServiceEntry entry, String host) {
        var spec = entry.getSpec();
        if (spec.getAddresses() != null && !spec.getAddresses().isEmpty()) {
            return spec.getAddresses();
        }
        InetAddress address = allocated.get(key(entry, host));
        return address == null ? List.of() : List.of(address.getHostAddress());
    }

    private static Map<String, InetAddress> fromStatus(ServiceEntry entry) {
        Map<String, InetAddress> out = new HashMap<>();
        if (entry.getStatus() == null || entry.getStatus().getAddresses() == null) {
            return out;
        }
        for (var address : entry.getStatus().getAddresses()) {
            IpPrefix.parseAddress(address.getValue())
                    .filter(ip -> ip.getAddress().length == 4)
                    .ifPresent(ip -> out.putIfAbsent(address.getHost(), ip));
        }
        return out;
    }

    /** A free address of {@code range} for {@code key}; null when the range is full. */
    private static InetAddress allocate(IpPrefix range, String key, Set<BigInteger> taken) {
        int bits = range.address().getAddress().length * 8 - range.length();
        if (bits < 2) {
            return null;
        }
        BigInteger size = BigInteger.ONE.shiftLeft(bits);
        BigInteger usable = size.subtract(BigInteger.TWO); // not the range's first and last address
        BigInteger base = new BigInteger(1, range.address().getAddress()).andNot(size.subtract(BigInteger.ONE));
        BigInteger offset = new BigInteger(1, sha256(key)).mod(usable);
        for (BigInteger tried = BigInteger.ZERO; tried.compareTo(usable) < 0; tried = tried.add(BigInteger.ONE)) {
            BigInteger candidate =
                    base.add(BigInteger.ONE).add(offset.add(tried).mod(usable));
            if (!taken.contains(candidate)) {
                return toAddress(candidate, range.address().getAddress().length);
            }
        }
        return null;
    }

    private static InetAddress toAddress(BigInteger value, int length) {
        byte[] raw = value.toByteArray();
        byte[] bytes = new byte[length];
        int copy = Math.min(raw.length, length);
        System.arraycopy(raw, raw.length - copy, bytes, length - copy, copy);
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // cannot happen for 4 or 16 bytes
        }
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always there", e);
        }
    }

    private static String key(ServiceEntry entry, String host) {
        return entry.getMetadata().getNamespace() + "/" + entry.getMetadata().getName() + "/" + host;
    }
}
