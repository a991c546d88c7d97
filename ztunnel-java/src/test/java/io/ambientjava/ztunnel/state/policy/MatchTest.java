package io.ambientjava.ztunnel.state.policy;

import static io.ambientjava.ztunnel.state.TestData.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.ztunnel.state.IpLiterals;
import io.ambientjava.ztunnel.state.Workload;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MatchTest {

    static final Workload ECHO = pod("default", "echo-0", "198.18.0.20").build();

    /** Plaintext from 198.18.0.10 to 198.18.0.20:8080. */
    static InboundConnection plaintext() {
        return connection(null, "198.18.0.10", "198.18.0.20", 8080);
    }

    /** mTLS from default/client at 198.18.0.10 to 198.18.0.20:8080. */
    static InboundConnection client() {
        return connection("spiffe://cluster.local/ns/default/sa/client", "198.18.0.10", "198.18.0.20", 8080);
    }

    /** mTLS from other/alt in another trust domain at 198.18.1.5 to 198.18.0.21:9090. */
    static InboundConnection alt() {
        return connection("spiffe://other.example/ns/other/sa/alt", "198.18.1.5", "198.18.0.21", 9090);
    }

    static InboundConnection connection(String identity, String source, String destination, int port) {
        return new InboundConnection(
                Optional.ofNullable(identity).map(SourceIdentity::parse),
                IpLiterals.parse(source),
                ECHO,
                IpLiterals.parse(destination),
                port);
    }

    /** Which of plaintext, client, alt the match matches. */
    private static List<Boolean> results(Match.Builder match) {
        Match m = match.build();
        return List.of(m.matches(plaintext()), m.matches(client()), m.matches(alt()));
    }

    @Test
    void namespacesUseTheIdentitysNamespace() {
        assertThat(results(Match.builder().namespaces(StringMatch.exact("default"))))
                .containsExactly(false, true, false);
        assertThat(results(Match.builder().notNamespaces(StringMatch.exact("default"))))
                .containsExactly(true, false, true);
        // a plaintext peer has no namespace: presence fails, its negation holds
        assertThat(results(Match.builder().namespaces(StringMatch.presence()))).containsExactly(false, true, true);
        assertThat(results(Match.builder().notNamespaces(StringMatch.presence())))
                .containsExactly(true, false, false);
    }

    @Test
    void serviceAccountsCompareNamespaceAndAccountInAnyTrustDomain() {
        assertThat(results(Match.builder().serviceAccounts(new ServiceAccountMatch("default", "client"))))
                .containsExactly(false, true, false);
        assertThat(results(Match.builder().serviceAccounts(new ServiceAccountMatch("other", "alt"))))
                .containsExactly(false, false, true);
        assertThat(results(Match.builder().notServiceAccounts(new ServiceAccountMatch("default", "client"))))
                .containsExactly(true, false, true);
    }

    @Test
    void principalsAreSpiffeIdsWithoutTheScheme() {
        assertThat(results(Match.builder().principals(StringMatch.exact("cluster.local/ns/default/sa/client"))))
                .containsExactly(false, true, false);
        assertThat(results(
                        Match.builder().principals(StringMatch.exact("spiffe://cluster.local/ns/default/sa/client"))))
                .containsExactly(false, false, false);
        assertThat(results(Match.builder().principals(StringMatch.prefix("cluster.local/"))))
                .containsExactly(false, true, false);
        assertThat(results(Match.builder().principals(StringMatch.suffix("/sa/alt"))))
                .containsExactly(false, false, true);
        assertThat(results(Match.builder().notPrincipals(StringMatch.exact("cluster.local/ns/default/sa/client"))))
                .containsExactly(true, false, true);
        // STRICT mTLS as istiod writes it: any peer without an identity
        assertThat(results(Match.builder().notPrincipals(StringMatch.presence())))
                .containsExactly(true, false, false);
    }

    @Test
    void sourceAndDestinationIpsAreCidrs() {
        assertThat(results(Match.builder().sourceIps("198.18.0.10"))).containsExactly(true, true, false);
        assertThat(results(Match.builder().sourceIps("198.18.0.0/16"))).containsExactly(true, true, true);
        assertThat(results(Match.builder().notSourceIps("198.18.0.0/24"))).containsExactly(false, false, true);
        assertThat(results(Match.builder().destinationIps("198.18.0.20/32"))).containsExactly(true, true, false);
        assertThat(results(Match.builder().destinationIps("198.18.0.16/28"))).containsExactly(true, true, true);
        assertThat(results(Match.builder().notDestinationIps("198.18.0.21"))).containsExactly(true, true, false);
        assertThat(results(Match.builder().sourceIps("fd00::/8"))).containsExactly(false, false, false);
    }

    @Test
    void destinationPorts() {
        assertThat(results(Match.builder().destinationPorts(8080))).containsExactly(true, true, false);
        assertThat(results(Match.builder().destinationPorts(80, 9090))).containsExactly(false, false, true);
        assertThat(results(Match.builder().notDestinationPorts(8080))).containsExactly(false, false, true);
    }

    @Test
    void allSetKindsMustHoldAndNoNegationMayMatch() {
        Match.Builder combined = Match.builder()
                .namespaces(StringMatch.exact("default"))
                .sourceIps("198.18.0.0/24")
                .destinationPorts(8080, 9090)
                .notPrincipals(StringMatch.suffix("/sa/banned"));
        assertThat(results(combined)).containsExactly(false, true, false);
        Match.Builder negatedAway = combined.notSourceIps("198.18.0.10");
        assertThat(results(negatedAway)).containsExactly(false, false, false);
    }

    @Test
    void anEmptyMatchMatchesNothing() {
        assertThat(Match.builder().build().isEmpty()).isTrue();
        assertThat(results(Match.builder())).containsExactly(false, false, false);
    }

    @Test
    void stringMatchForms() {
        assertThat(StringMatch.exact("foo").matches("foo")).isTrue();
        assertThat(StringMatch.exact("foo").matches("foobar")).isFalse();
        assertThat(StringMatch.exact("foo").matches("")).isFalse();
        assertThat(StringMatch.prefix("foo").matches("foobar")).isTrue();
        assertThat(StringMatch.prefix("foo").matches("barfoo")).isFalse();
        assertThat(StringMatch.suffix("foo").matches("barfoo")).isTrue();
        assertThat(StringMatch.suffix("foo").matches("foobar")).isFalse();
        assertThat(StringMatch.presence().matches("x")).isTrue();
        assertThat(StringMatch.presence().matches("")).isFalse();
    }

    @Test
    void cidrs() {
        assertThat(Cidr.parse("0.0.0.0/0").contains(IpLiterals.parse("198.19.1.1")))
                .isTrue();
        assertThat(Cidr.parse("198.18.16.0/20").contains(IpLiterals.parse("198.18.31.255")))
                .isTrue();
        assertThat(Cidr.parse("198.18.16.0/20").contains(IpLiterals.parse("198.18.32.0")))
                .isFalse();
        assertThat(Cidr.parse("fd00:1::/33").contains(IpLiterals.parse("fd00:1:7fff::1")))
                .isTrue();
        assertThat(Cidr.parse("fd00:1::/33").contains(IpLiterals.parse("fd00:1:8000::1")))
                .isFalse();
        assertThat(Cidr.parse("::/0").contains(IpLiterals.parse("198.18.0.1"))).isFalse();
        assertThat(Cidr.parse("198.18.0.1")).isEqualTo(new Cidr(IpLiterals.parse("198.18.0.1"), 32));
        assertThat(Cidr.parse("fd00::1").prefixLength()).isEqualTo(128);
        assertThatThrownBy(() -> Cidr.parse("198.18.0.0/33"))
                .hasMessage("prefix length 33 is not in 0..32 for 198.18.0.0");
        assertThatThrownBy(() -> Cidr.parse("198.18.0.0/")).hasMessage("'198.18.0.0/' has no valid prefix length");
        assertThatThrownBy(() -> Cidr.parse("pods/16")).hasMessage("'pods' is not an IP address");
    }

    @Test
    void sourceIdentities() {
        SourceIdentity id = SourceIdentity.parse("spiffe://cluster.local/ns/default/sa/client");
        assertThat(id.principal()).isEqualTo("cluster.local/ns/default/sa/client");
        assertThat(id).hasToString("spiffe://cluster.local/ns/default/sa/client");
        for (String bad : new String[] {
            "cluster.local/ns/default/sa/client",
            "spiffe://cluster.local/ns/default",
            "spiffe://cluster.local/sa/default/ns/client",
            "spiffe://cluster.local/ns/default/sa/client/extra",
            "spiffe:///ns/default/sa/client"
        }) {
            assertThatThrownBy(() -> SourceIdentity.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
