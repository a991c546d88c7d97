package io.ambientjava.hbone.tunnel;

import java.util.Optional;

/**
 * What a finished tunnel carried.
 *
 * @param bytesFromTcp payload bytes read from the TCP side and sent on the stream
 * @param bytesToTcp payload bytes received on the stream and written to the TCP side
 * @param end how it ended
 * @param detail why it was aborted, when it was
 */
public record TunnelResult(long bytesFromTcp, long bytesToTcp, TunnelEnd end, Optional<String> detail) {}
