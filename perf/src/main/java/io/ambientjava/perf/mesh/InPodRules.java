package io.ambientjava.perf.mesh;

import io.ambientjava.testing.netns.Pod;

/**
 * Istio's in-pod nftables redirection (the rules ztunnel-java's own tests install, which are not reachable from
 * main code): outbound TCP to 15001, inbound TCP (except 15008) to 15006, ztunnel's mark 0x539 passes, and the
 * app's replies to ztunnel's transparent sockets (connmark 0x111) are routed back locally through table 100.
 */
public final class InPodRules {

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

    private InPodRules() {}

    /** Installs the rules and the policy routing into {@code pod}'s namespace. */
    public static void install(Pod pod) {
        pod.installNftables(NFTABLES);
        pod.exec("ip", "rule", "add", "fwmark", "0x111/0xfff", "pref", "32764", "lookup", "100")
                .orThrow();
        pod.exec("ip", "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "100")
                .orThrow();
    }
}
