package io.ambientjava.cni;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

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
                    netns == null || netns.isBlank() ? null : Path.of(netns));
        }

        public String toJson() {
            Map<String, Object> object = new LinkedHashMap<>();
            object.put("command", command);
            object.put("uid", uid);
            object.put("name", name);
            object.put("namespace", namespace);
            object.put("serviceAccount", serviceAccount);
            object.put("containerId", containerId);
            object.put("netns", netns);
            return JsonText.write(object);
        }

        /** Throws {@link JsonText.MalformedJsonException} for text that is not a JSON object. */
        public static Request fromJson(String text) {
            Map<String, Object> object = JsonText.parseObject(text);
            return new Request(
                    JsonText.string(object, "command"),
                    JsonText.string(object, "uid"),
                    JsonText.string(object, "name"),
                    JsonText.string(object, "namespace"),
                    JsonText.string(object, "serviceAccount"),
                    JsonText.string(object, "containerId"),
                    JsonText.string(object, "netns"));
        }
    }

    public record Reply(int code, String msg, String details) {
        public static final Reply OK = new Reply(0, "", "");

        public String toJson() {
            Map<String, Object> object = new LinkedHashMap<>();
            object.put("code", code);
            if (msg != null && !msg.isEmpty()) {
                object.put("msg", msg);
            }
            if (details != null && !details.isEmpty()) {
                object.put("details", details);
            }
            return JsonText.write(object);
        }

        /** Throws {@link JsonText.MalformedJsonException} for text that is not a reply. */
        public static Reply fromJson(String text) {
            Map<String, Object> object = JsonText.parseObject(text);
            if (!(object.get("code") instanceof JsonText.Number code)) {
                throw new JsonText.MalformedJsonException("reply without a numeric code");
            }
            String msg = JsonText.string(object, "msg");
            String details = JsonText.string(object, "details");
            return new Reply((int) code.longValue(), msg == null ? "" : msg, details == null ? "" : details);
        }
    }
}
