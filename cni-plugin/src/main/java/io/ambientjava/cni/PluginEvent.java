package io.ambientjava.cni;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What the plugin process tells the node agent over the agent's Unix socket, one JSON object per connection:
 * the command and the pod; and the agent's reply ({@code code} 0 = done, otherwise a CNI error code).
 */
public final class PluginEvent {
    private PluginEvent() {}

    public record Request(
            String command,
            String uid,
            String name,
            String namespace,
            String serviceAccount,
            String containerId,
            String netns) {
        public static Request of(String command, CniPod pod) {
            return new Request(
                    command,
                    pod.uid(),
                    pod.name(),
                    pod.namespace(),
                    pod.serviceAccount(),
                    pod.containerId(),
                    pod.netns() == null ? null : pod.netns().toString());
        }

        public CniPod pod() {
            return new CniPod(
                    uid,
                    name,
                    namespace,
                    serviceAccount == null ? "" : serviceAccount,
                    containerId,
                    netns == null || netns.isBlank() ? null : java.nio.file.Path.of(netns));
        }
    }

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Reply(int code, String msg, String details) {
        public static final Reply OK = new Reply(0, "", "");
    }
}
