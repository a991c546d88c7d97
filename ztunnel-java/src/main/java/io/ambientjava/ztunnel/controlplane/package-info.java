/** What the xDS and CA clients share to reach istiod: channels (plaintext or TLS), the bearer token file. */
package io.ambientjava.ztunnel.controlplane;
