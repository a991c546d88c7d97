package io.ambientjava.meshctl.local;

/** A Service of the demo: its name (the pods' {@code app} label) and VIP in 198.19.0.0/16; port 80 to 8080. */
public record DemoService(String name, String vip) {
    public static final int PORT = 80;
    public static final int TARGET_PORT = 8080;
}
