/**
 * Certificates of the local workload identities: {@link io.ambientjava.ztunnel.certs.WorkloadCertificates} keeps
 * one certificate (and its TLS contexts) per service account identity of the enrolled pods, from a
 * {@link io.ambientjava.identity.manager.CertificateProvider} (the local CA now, istiod's CA later).
 */
package io.ambientjava.ztunnel.certs;
