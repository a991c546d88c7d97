package io.ambientjava.ztunnel.config;

import io.ambientjava.ztunnel.state.GatewayAddress;

/** {@code {destination: "ns/hostname" | "network/ip", hboneMtlsPort: 15008}}. */
record LocalGatewayAddress(GatewayAddress.Destination destination, Integer hboneMtlsPort) {}
