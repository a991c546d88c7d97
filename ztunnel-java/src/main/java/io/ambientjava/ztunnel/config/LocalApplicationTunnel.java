package io.ambientjava.ztunnel.config;

import io.ambientjava.ztunnel.state.ApplicationTunnel;

/** {@code {protocol: NONE | PROXY, port}}. */
record LocalApplicationTunnel(ApplicationTunnel.Kind protocol, Integer port) {}
