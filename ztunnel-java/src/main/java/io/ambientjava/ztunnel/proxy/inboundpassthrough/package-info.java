/**
 * Inbound plaintext: connections redirected to a pod's 15006, authorized without an identity (so STRICT mTLS
 * refuses them) and relayed to the app with the client's IP kept.
 */
package io.ambientjava.ztunnel.proxy.inboundpassthrough;
