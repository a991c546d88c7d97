/**
 * Outbound HBONE pooling as the proxies use it: each pod has its own {@link io.ambientjava.hbone.client.HboneClient}
 * whose connections are dialed from inside the pod by a {@link io.ambientjava.ztunnel.proxy.pool.PodDialer}.
 */
package io.ambientjava.ztunnel.proxy.pool;
