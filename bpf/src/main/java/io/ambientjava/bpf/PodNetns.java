package io.ambientjava.bpf;

import java.net.Inet4Address;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A pod's network namespace as the BPF programs see it: its cookie ({@code bpf_get_netns_cookie}) and its
 * IPv4 addresses other than loopback (which the inbound {@code sk_lookup} program matches on).
 *
 * @param path the namespace file it was read from
 * @param cookie the kernel's netns cookie, unique for the namespace's lifetime
 * @param addresses IPv4 addresses on the namespace's interfaces, loopback excluded
 */
public record PodNetns(Path path, long cookie, List<Inet4Address> addresses) {
    private static final long TIMEOUT_SECONDS = 10;

    public PodNetns {
        addresses = List.copyOf(addresses);
    }

    /**
     * Reads the cookie and addresses of the namespace at {@code path}, from a short-lived platform thread
     * that enters the namespace and ends there (so no other code ever runs in it by accident).
     */
    public static PodNetns inspect(Path path) {
        if (!Files.exists(path)) {
            throw new BpfException("network namespace " + path + " does not exist");
        }
        int fd = Libc.open(path.toString(), Libc.O_RDONLY);
        try {
            CompletableFuture<PodNetns> result = new CompletableFuture<>();
            Thread.ofPlatform().name("netns-inspect").daemon().start(() -> {
                try {
                    Libc.setns(fd, path.toString());
                    result.complete(new PodNetns(path, Libc.currentNetnsCookie(), ipv4Addresses()));
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            });
            return result.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof BpfException bpf) {
                throw bpf;
            }
            throw new BpfException("cannot inspect network namespace " + path + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BpfException("interrupted while inspecting network namespace " + path, e);
        } catch (TimeoutException e) {
            throw new BpfException("inspecting network namespace " + path + " took over " + TIMEOUT_SECONDS + " s");
        } finally {
            Libc.close(fd);
        }
    }

    private static List<Inet4Address> ipv4Addresses() throws SocketException {
        List<Inet4Address> found = new ArrayList<>();
        for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
            nic.inetAddresses()
                    .filter(address -> address instanceof Inet4Address && !address.isLoopbackAddress())
                    .forEach(address -> found.add((Inet4Address) address));
        }
        return found;
    }
}
