package io.ambientjava.ztunnel.testsupport;

import io.ambientjava.testing.netns.Pod;

/**
 * Istio's in-pod redirection (istio-cni's nftables mode), installed into a test pod's namespace: what the node agent
 * will do for real. In one script:
 *
 * <ul>
 *   <li>mangle prerouting: a packet carrying ztunnel's mark 0x539 (ztunnel's transparent socket to the app, looped
 *       through lo) gives its connection the connmark 0x111;
 *   <li>mangle output (a route chain, so a changed mark re-routes): packets of such connections (the app's replies)
 *       get mark 0x111, and {@code ip rule fwmark 0x111/0xfff lookup 100} with {@code local 0.0.0.0/0 dev lo table
 *       100} delivers them locally, back to ztunnel's socket bound to the client's address;
 *   <li>nat prerouting: inbound TCP not to 127.0.0.1, not to 15008 and not marked 0x539 is redirected to 15006;
 *   <li>nat output: outbound TCP not to 127.0.0.1 and not marked 0x539 is redirected to 15001 (the pod talking to
 *       itself over lo, and marked 0x111 replies, pass).
 * </ul>
 */
public final class InPodRedirection {

    public static final String NFTABLES = """
            table inet ztunnel-inpod {
              chain mangle-prerouting {
                type filter hook prerouting priority mangle; policy accept;
                meta mark & 0xfff == 0x539 ct mark set ct mark & 0xfffff000 | 0x111
              }
              chain mangle-output {
                type route hook output priority mangle; policy accept;
                ct mark & 0xfff == 0x111 meta mark set ct mark
              }
              chain nat-prerouting {
                type nat hook prerouting priority dstnat; policy accept;
                meta l4proto tcp ip daddr != 127.0.0.1 tcp dport != 15008 meta mark & 0xfff != 0x539 redirect to :15006
              }
              chain nat-output {
                type nat hook output priority -100; policy accept;
                meta l4proto tcp meta mark & 0xfff == 0x111 accept
                oifname "lo" ip daddr != 127.0.0.1 accept
                meta l4proto tcp ip daddr != 127.0.0.1 meta mark & 0xfff != 0x539 redirect to :15001
              }
            }
            """;

    private InPodRedirection() {}

    /** Installs the rules and the policy routing into {@code pod}'s namespace. */
    public static void install(Pod pod) {
        pod.installNftables(NFTABLES);
        pod.exec("ip", "rule", "add", "fwmark", "0x111/0xfff", "pref", "32764", "lookup", "100")
                .orThrow();
        pod.exec("ip", "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "100")
                .orThrow();
    }
}
