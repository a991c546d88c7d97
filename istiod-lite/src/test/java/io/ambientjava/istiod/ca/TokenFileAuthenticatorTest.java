package io.ambientjava.istiod.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ambientjava.identity.SpiffeId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenFileAuthenticatorTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-06-01T00:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path folder;

    @Test
    void mapsTokensToCallersAndHonoursExpiry() throws Exception {
        Path file = write("""
                tokens:
                - {token: ztunnel-node-a-0123456789, namespace: istio-system, serviceAccount: ztunnel, node: node-a}
                - {token: web-token-0123456789abcdef, namespace: shop, serviceAccount: web, expires: "2026-05-31T23:59:59Z"}
                """);
        TokenFileAuthenticator authenticator = TokenFileAuthenticator.load(file, "cluster.local", CLOCK);
        Caller ztunnel = authenticator.authenticate("ztunnel-node-a-0123456789");
        assertThat(ztunnel.identity()).isEqualTo(new SpiffeId("cluster.local", "istio-system", "ztunnel"));
        assertThat(ztunnel.node()).isEqualTo(Optional.of("node-a"));
        assertThatThrownBy(() -> authenticator.authenticate("web-token-0123456789abcdef"))
                .isInstanceOf(CallerAuthenticationException.class)
                .hasMessage("token of shop/web expired at 2026-05-31T23:59:59Z");
        assertThatThrownBy(() -> authenticator.authenticate("")).hasMessage("no bearer token");
    }

    @Test
    void picksUpChangesAndKeepsOldTokensWhenTheNewFileIsBroken() throws Exception {
        Path file = write("tokens: [{token: first-token-0123456789, namespace: shop, serviceAccount: web}]\n");
        TokenFileAuthenticator authenticator = TokenFileAuthenticator.load(file, "cluster.local", CLOCK);
        assertThat(authenticator.authenticate("first-token-0123456789").account())
                .isEqualTo("shop/web");

        write("tokens: [{token: second-token-0123456789, namespace: shop, serviceAccount: api}]\n");
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
        assertThat(authenticator.authenticate("second-token-0123456789").account())
                .isEqualTo("shop/api");
        assertThatThrownBy(() -> authenticator.authenticate("first-token-0123456789"))
                .hasMessage("unknown token");

        write("tokens: [{token: short, namespace: shop, serviceAccount: api}]\n");
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(10)));
        assertThat(authenticator.authenticate("second-token-0123456789").account())
                .isEqualTo("shop/api");
    }

    @Test
    void invalidFilesAreRefusedNamingTheEntryAndField() throws IOException {
        assertThatThrownBy(() -> TokenFileAuthenticator.load(
                        write("tokens: [{token: short, namespace: shop, serviceAccount: web}]\n"),
                        "cluster.local",
                        CLOCK))
                .hasMessageContaining("tokens[0].token: required, at least 16 characters");
        assertThatThrownBy(() -> TokenFileAuthenticator.load(
                        write("tokens: [{token: long-enough-token-123, serviceAccount: web}]\n"),
                        "cluster.local",
                        CLOCK))
                .hasMessageContaining("tokens[0]")
                .hasMessageContaining("namespace and serviceAccount are required");
        assertThatThrownBy(() -> TokenFileAuthenticator.load(
                        write(
                                "tokens: [{token: long-enough-token-123, namespace: a, serviceAccount: b, expires: soon}]\n"),
                        "cluster.local",
                        CLOCK))
                .hasMessageContaining("tokens[0].expires: not an RFC 3339 time: 'soon'");
        assertThatThrownBy(() -> TokenFileAuthenticator.load(
                        write(
                                "tokens: [{token: long-enough-token-123, namespace: a, serviceAccount: b, role: admin}]\n"),
                        "cluster.local",
                        CLOCK))
                .hasMessageContaining("role");
        assertThatThrownBy(() -> TokenFileAuthenticator.load(write("""
                                tokens:
                                - {token: long-enough-token-123, namespace: a, serviceAccount: b}
                                - {token: long-enough-token-123, namespace: a, serviceAccount: c}
                                """), "cluster.local", CLOCK))
                .hasMessageContaining("tokens[1].token: the same token appears twice");
    }

    private Path write(String content) throws IOException {
        Path file = folder.resolve("tokens.yaml");
        Files.writeString(file, content);
        return file;
    }
}
