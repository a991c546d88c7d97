package io.ambientjava.ztunnel.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResolvConfTest {
    @TempDir
    Path dir;

    @Test
    void nameserversInOrderOnPort53() throws IOException {
        Path file = Files.writeString(dir.resolve("resolv.conf"), """
                # comment
                search bookinfo.svc.cluster.local svc.cluster.local
                nameserver 198.18.0.53
                nameserver   fe80::1%eth0
                nameserver not-an-ip
                options ndots:5
                """);
        assertThat(ResolvConf.nameservers(file))
                .containsExactly(new InetSocketAddress("198.18.0.53", 53), new InetSocketAddress("fe80::1", 53));
    }

    @Test
    void aFileWithoutNameserversIsAnErrorNamingIt() throws IOException {
        Path file = Files.writeString(dir.resolve("empty.conf"), "search x\n");
        assertThatThrownBy(() -> ResolvConf.nameservers(file))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("no usable nameserver");
    }
}
