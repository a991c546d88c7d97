/** The client of istiod's CA ({@code CreateCertificate}), a {@code CertificateProvider} for ztunnel's certificates. */
package io.ambientjava.ztunnel.caclient;
