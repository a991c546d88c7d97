package io.ambientjava.ztunnel.xds;

/** The two workload xDS types ztunnel subscribes to, in the order it subscribes. */
public final class XdsTypeUrls {

    public static final String ADDRESS = "type.googleapis.com/istio.workload.Address";
    public static final String AUTHORIZATION = "type.googleapis.com/istio.security.Authorization";

    private XdsTypeUrls() {}
}
