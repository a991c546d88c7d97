package io.ambientjava.hbone.client;

/**
 * A snapshot of one pooled connection.
 *
 * @param streams streams open or being opened on it
 * @param maxStreams how many it may carry (our cap, lowered by the peer's SETTINGS_MAX_CONCURRENT_STREAMS)
 * @param ready TLS and HTTP/2 set up
 * @param draining takes no new streams (GOAWAY received or closing)
 */
public record PooledConnectionInfo(PoolKey key, int streams, int maxStreams, boolean ready, boolean draining) {}
