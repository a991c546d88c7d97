package io.ambientjava.ztunnel.config;

/** {@code {namespace, serviceAccount}}. */
record LocalServiceAccountMatch(String namespace, String serviceAccount) {}
