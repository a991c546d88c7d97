package io.ambientjava.meshctl.local;

/**
 * A pod of the demo: the service it backs (empty for a client-only pod), its version label, namespace, service
 * account and the node it is scheduled on. {@code ip} is filled in once the CNI chain has given it an address.
 */
public record DemoPod(
        String name, String service, String version, String namespace, String serviceAccount, String node) {

    public boolean servesApp() {
        return !service.isEmpty();
    }

    /** The workload UID istiod-lite gives it, used as the pod UID so that ztunnel matches ZDS and xDS. */
    public String uid() {
        return "Kubernetes//Pod/" + namespace + "/" + name;
    }

    public String principal() {
        return "spiffe://cluster.local/ns/" + namespace + "/sa/" + serviceAccount;
    }
}
