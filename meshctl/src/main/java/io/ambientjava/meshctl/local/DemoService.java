package io.ambientjava.meshctl.local;

/**
 * A Service of the local mesh: its name (the pods' {@code app} label), VIP in 198.19.0.0/16, namespace and one port
 * ({@code portName} decides the protocol as Istio reads port names: {@code http}, {@code grpc}, {@code tcp} ...).
 */
public record DemoService(String name, String vip, String namespace, int port, int targetPort, String portName) {
    public static final int PORT = 80;
    public static final int TARGET_PORT = 8080;

    /** A demo shop service: namespace {@value MeshConfigFolder#NAMESPACE}, HTTP port 80 to 8080. */
    public DemoService(String name, String vip) {
        this(name, vip, MeshConfigFolder.NAMESPACE, PORT, TARGET_PORT, "http");
    }

    public DemoService {
        if (name == null || name.isBlank() || vip == null || !vip.startsWith("198.19.")) {
            throw new IllegalArgumentException(
                    "a service needs a name and a VIP in 198.19.0.0/16: " + name + " " + vip);
        }
        if (port <= 0 || port > 65535 || targetPort <= 0 || targetPort > 65535) {
            throw new IllegalArgumentException(
                    "service " + name + ": ports must be 1..65535, got " + port + " -> " + targetPort);
        }
    }

    /** The same service in another namespace, still HTTP port 80 to 8080. */
    public static DemoService http(String name, String vip, String namespace) {
        return new DemoService(name, vip, namespace, PORT, TARGET_PORT, "http");
    }

    public String hostname() {
        return name + "." + namespace + ".svc.cluster.local";
    }
}
