package io.ambientjava.cni.redirect;

/**
 * The nftables rules of Istio's in-pod redirection, in a table of our own ({@code inet ambient-java}) so no
 * other table of the pod is ever touched. The marks and ports are Istio's:
 *
 * <ul>
 *   <li>ztunnel's sockets carry mark 0x539 (mask 0xfff) and are never redirected;
 *   <li>a connection that came through ztunnel's transparent inbound socket (a 0x539 packet looping through
 *       {@code lo}) gets connmark 0x111; the app's replies get it back as a packet mark in a route chain, so
 *       they re-route through {@code ip rule fwmark 0x111/0xfff lookup 100} ({@code local 0.0.0.0/0 dev lo})
 *       to ztunnel's socket bound to the client's address;
 *   <li>inbound TCP not to 127.0.0.1 and not to 15008 (HBONE, served in place) goes to 15006, except kubelet
 *       probes, which the node SNATs to 169.254.7.127;
 *   <li>outbound TCP not to 127.0.0.1 goes to 15001 (a pod talking to itself over {@code lo} passes);
 *   <li>with DNS capture, UDP and TCP port 53 leaving on anything but {@code lo} go to 15053.
 * </ul>
 *
 * <p>IPv4 only for now. Chain priorities are numeric (mangle -150, dstnat -100) because nft 1.0.6 refuses the
 * {@code dstnat} keyword in an output chain. The script starts by creating and deleting the table, so applying
 * it replaces an earlier version in one transaction, whether or not one exists.
 */
public final class InPodRuleset {
    public static final String TABLE_FAMILY = "inet";
    public static final String TABLE_NAME = "ambient-java";
    public static final int ZTUNNEL_MARK = 0x539;
    public static final int CONNECTION_MARK = 0x111;
    public static final int MARK_MASK = 0xfff;
    public static final int ROUTE_TABLE = 100;
    /** Just above the kernel's default rules, like Istio's. */
    public static final int RULE_PRIORITY = 32764;

    public static final String PROBE_SOURCE = "169.254.7.127";
    public static final int OUTBOUND_PORT = 15001;
    public static final int INBOUND_PLAINTEXT_PORT = 15006;
    public static final int HBONE_PORT = 15008;
    public static final int DNS_PORT = 15053;

    private InPodRuleset() {}

    /** The {@code nft -f} script that installs (or replaces) the table. */
    public static String render(RedirectionConfig config) {
        String dns = config.dnsCapture() ? """
                    oifname != "lo" meta mark & 0xfff != 0x539 udp dport 53 redirect to :15053
                    oifname != "lo" meta mark & 0xfff != 0x539 tcp dport 53 redirect to :15053
                """ : "";
        return removal() + """
                table inet ambient-java {
                  chain mangle-prerouting {
                    type filter hook prerouting priority -150; policy accept;
                    meta mark & 0xfff == 0x539 ct mark set ct mark & 0xfffff000 | 0x111
                  }
                  chain mangle-output {
                    type route hook output priority -150; policy accept;
                    ct mark & 0xfff == 0x111 meta mark set ct mark
                  }
                  chain nat-prerouting {
                    type nat hook prerouting priority -100; policy accept;
                    ip saddr 169.254.7.127 accept
                    meta l4proto tcp ip daddr != 127.0.0.1 tcp dport != 15008 meta mark & 0xfff != 0x539 redirect to :15006
                  }
                  chain nat-output {
                    type nat hook output priority -100; policy accept;
                    meta l4proto tcp meta mark & 0xfff == 0x111 accept
                    oifname "lo" ip daddr != 127.0.0.1 accept
                """ + dns + """
                    meta l4proto tcp ip daddr != 127.0.0.1 meta mark & 0xfff != 0x539 redirect to :15001
                  }
                }
                """;
    }

    /** The {@code nft -f} script that removes the table, and does nothing when it is absent. */
    public static String removal() {
        return """
                add table inet ambient-java
                delete table inet ambient-java
                """;
    }
}
