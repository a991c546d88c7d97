/**
 * Network namespaces for in-pod proxying: open and check a pod's namespace ({@link
 * io.ambientjava.ztunnel.inpod.netns.NetworkNamespace}), run socket creation inside it ({@link
 * io.ambientjava.ztunnel.inpod.netns.NetnsExecutor}, {@link io.ambientjava.ztunnel.inpod.netns.NettyInNetns}),
 * and the socket options redirection depends on ({@link io.ambientjava.ztunnel.inpod.netns.SocketOptions}).
 * System calls go through FFM ({@code java.lang.foreign}); the JVM needs {@code --enable-native-access}.
 */
package io.ambientjava.ztunnel.inpod.netns;
