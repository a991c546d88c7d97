/**
 * Inbound HBONE: CONNECTs arriving at a pod's 15008, checked (authority, L4 authorization with the mTLS identity)
 * and delivered to the app with the client's IP kept.
 */
package io.ambientjava.ztunnel.proxy.inbound;
