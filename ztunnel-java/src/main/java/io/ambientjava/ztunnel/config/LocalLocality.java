package io.ambientjava.ztunnel.config;

/** {@code {region, zone, subzone}}. */
record LocalLocality(String region, String zone, String subzone) {}
