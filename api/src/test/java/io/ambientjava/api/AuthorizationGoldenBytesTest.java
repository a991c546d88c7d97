package io.ambientjava.api;

import static io.ambientjava.api.Wire.assertEncodes;
import static io.ambientjava.api.Wire.bytes;

import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ambientjava.api.security.Action;
import io.ambientjava.api.security.Address;
import io.ambientjava.api.security.Authorization;
import io.ambientjava.api.security.Group;
import io.ambientjava.api.security.Match;
import io.ambientjava.api.security.Rules;
import io.ambientjava.api.security.Scope;
import io.ambientjava.api.security.ServiceAccountMatch;
import io.ambientjava.api.security.StringMatch;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hand-derived bytes (tag = field_number << 3 | wire_type) for the istio.security messages. In the comments, "&gt;"
 * marks bytes inside the enclosing nested message.
 */
class AuthorizationGoldenBytesTest {

    @Test
    void authorizationEveryField() throws InvalidProtocolBufferException {
        var policy = Authorization.newBuilder()
                .setName("a")
                .setNamespace("ns")
                .setScope(Scope.WORKLOAD_SELECTOR)
                .setAction(Action.DENY)
                .addGroups(Group.newBuilder()
                        .addRules(Rules.newBuilder()
                                .addMatches(Match.newBuilder()
                                        .addDestinationPorts(80)
                                        .addDestinationPorts(443))))
                .setDryRun(true)
                .build();
        assertEncodes(
                policy,
                bytes(
                        bytes(0x0A, 0x01, 'a'), // name: 1<<3|2
                        bytes(0x12, 0x02, "ns"), // namespace: 2<<3|2
                        bytes(0x18, 0x02), // scope = WORKLOAD_SELECTOR (2): 3<<3|0
                        bytes(0x20, 0x01), // action = DENY (1): 4<<3|0
                        bytes(0x2A, 0x09), // groups: 5<<3|2, Group of 9 bytes
                        bytes(0x0A, 0x07), // > Group.rules: field 1, Rules of 7 bytes
                        bytes(0x12, 0x05), // >> Rules.matches: field 2 (1 is unused), Match of 5 bytes
                        bytes(0x4A, 0x03, 0x50, 0xBB, 0x03), // >>> destination_ports packed: 9<<3|2, [80, 443]
                        bytes(0x30, 0x01) // dry_run = true: 6<<3|0
                        ));
    }

    @Test
    void groupWithOneEmptyRules() throws InvalidProtocolBufferException {
        var group = Group.newBuilder().addRules(Rules.getDefaultInstance()).build();
        assertEncodes(group, bytes(0x0A, 0x00)); // rules: field 1 LEN, empty message
    }

    @Test
    void rulesMatchesAreField2() throws InvalidProtocolBufferException {
        var rules = Rules.newBuilder()
                .addMatches(Match.newBuilder().addDestinationPorts(80))
                .build();
        // matches: 2<<3|2, 3 bytes; > destination_ports packed: 9<<3|2, 1 byte, 80
        assertEncodes(rules, bytes(0x12, 0x03, 0x4A, 0x01, 0x50));
    }

    @Test
    void matchEveryField() throws InvalidProtocolBufferException {
        var match = Match.newBuilder()
                .addNamespaces(StringMatch.newBuilder().setExact("a"))
                .addNotNamespaces(StringMatch.newBuilder().setPrefix("b"))
                .addPrincipals(StringMatch.newBuilder().setSuffix("c"))
                .addNotPrincipals(StringMatch.newBuilder().setPresence(Empty.getDefaultInstance()))
                .addSourceIps(cidr(15, 198, 18, 0, 0))
                .addNotSourceIps(cidr(32, 127, 0, 0, 1))
                .addDestinationIps(cidr(0, 198, 18, 0, 1))
                .addNotDestinationIps(cidr(16, 198, 19, 0, 1))
                .addDestinationPorts(80)
                .addNotDestinationPorts(443)
                .addServiceAccounts(
                        ServiceAccountMatch.newBuilder().setNamespace("n").setServiceAccount("s"))
                .addNotServiceAccounts(ServiceAccountMatch.newBuilder().setServiceAccount("t"))
                .build();
        assertEncodes(
                match,
                bytes(
                        bytes(0x0A, 0x03, 0x0A, 0x01, 'a'), // namespaces: 1<<3|2 {exact: 1<<3|2}
                        bytes(0x12, 0x03, 0x12, 0x01, 'b'), // not_namespaces: 2<<3|2 {prefix: 2<<3|2}
                        bytes(0x1A, 0x03, 0x1A, 0x01, 'c'), // principals: 3<<3|2 {suffix: 3<<3|2}
                        bytes(0x22, 0x02, 0x22, 0x00), // not_principals: 4<<3|2 {presence: 4<<3|2, empty}
                        bytes(0x2A, 0x08), // source_ips: 5<<3|2, 8 bytes
                        bytes(0x0A, 0x04, 198, 18, 0, 0, 0x10, 0x0F), // > address 1<<3|2, length 2<<3|0 = 15
                        bytes(0x32, 0x08), // not_source_ips: 6<<3|2, 8 bytes
                        bytes(0x0A, 0x04, 127, 0, 0, 1, 0x10, 0x20), // > address, length 32
                        bytes(0x3A, 0x06), // destination_ips: 7<<3|2, 6 bytes
                        bytes(0x0A, 0x04, 198, 18, 0, 1), // > address; length 0 is not written
                        bytes(0x42, 0x08), // not_destination_ips: 8<<3|2, 8 bytes
                        bytes(0x0A, 0x04, 198, 19, 0, 1, 0x10, 0x10), // > address, length 16
                        bytes(0x4A, 0x01, 0x50), // destination_ports packed: 9<<3|2, [80]
                        bytes(0x52, 0x02, 0xBB, 0x03), // not_destination_ports packed: 10<<3|2, [443]
                        bytes(0x5A, 0x06, 0x0A, 0x01, 'n', 0x12, 0x01, 's'), // service_accounts: 11<<3|2 {1, 2}
                        bytes(0x62, 0x03, 0x12, 0x01, 't') // not_service_accounts: 12<<3|2 {serviceAccount 2}
                        ));
    }

    @Test
    void addressIsBytesAndPrefixLength() throws InvalidProtocolBufferException {
        // address: 1<<3|2, 4 bytes; length: 2<<3|0 = 15
        assertEncodes(cidr(15, 198, 18, 0, 0), bytes(0x0A, 0x04, 198, 18, 0, 0, 0x10, 0x0F));
    }

    @Test
    void serviceAccountMatch() throws InvalidProtocolBufferException {
        var sa = ServiceAccountMatch.newBuilder()
                .setNamespace("n")
                .setServiceAccount("s")
                .build();
        assertEncodes(sa, bytes(0x0A, 0x01, 'n', 0x12, 0x01, 's')); // namespace 1, serviceAccount 2
    }

    static Stream<Arguments> stringMatchVariants() {
        return Stream.of(
                Arguments.of(StringMatch.newBuilder().setExact("v").build(), bytes(0x0A, 0x01, 'v')), // field 1
                Arguments.of(StringMatch.newBuilder().setPrefix("v").build(), bytes(0x12, 0x01, 'v')), // field 2
                Arguments.of(StringMatch.newBuilder().setSuffix("v").build(), bytes(0x1A, 0x01, 'v')), // field 3
                Arguments.of(
                        StringMatch.newBuilder()
                                .setPresence(Empty.getDefaultInstance())
                                .build(),
                        bytes(0x22, 0x00))); // field 4, empty message
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stringMatchVariants")
    void stringMatchOneof(StringMatch match, byte[] expected) throws InvalidProtocolBufferException {
        assertEncodes(match, expected);
    }

    private static Address cidr(int length, int a, int b, int c, int d) {
        return Address.newBuilder()
                .setAddress(ByteString.copyFrom(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d}))
                .setLength(length)
                .build();
    }
}
