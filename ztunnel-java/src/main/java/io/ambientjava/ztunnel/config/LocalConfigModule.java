package io.ambientjava.ztunnel.config;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.KeyDeserializer;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.ambientjava.ztunnel.state.GatewayAddress;
import io.ambientjava.ztunnel.state.IpLiterals;
import io.ambientjava.ztunnel.state.NamespacedHostname;
import io.ambientjava.ztunnel.state.NetworkAddress;
import io.ambientjava.ztunnel.state.PortMap;
import io.ambientjava.ztunnel.state.policy.Cidr;
import io.ambientjava.ztunnel.state.policy.StringMatch;
import java.io.IOException;
import java.net.InetAddress;
import java.util.Map;

/** Reads the domain's value types from their text forms; IPs are only ever parsed as literals, never resolved. */
final class LocalConfigModule extends SimpleModule {

    private static final long serialVersionUID = 1L;

    LocalConfigModule() {
        super("ambient-local-config");
        addDeserializer(
                InetAddress.class,
                new TextValueDeserializer<>(InetAddress.class, IpLiterals::parse, "an IP address like 198.18.0.1"));
        addDeserializer(
                NetworkAddress.class,
                new TextValueDeserializer<>(
                        NetworkAddress.class, NetworkAddress::parse, "network/ip like /198.19.0.1 or net1/198.19.0.1"));
        addDeserializer(Cidr.class, new TextValueDeserializer<>(Cidr.class, Cidr::parse, "a CIDR like 198.18.0.0/16"));
        addDeserializer(
                GatewayAddress.Destination.class,
                new TextValueDeserializer<>(
                        GatewayAddress.Destination.class,
                        GatewayAddress.Destination::parse,
                        "namespace/hostname or network/ip"));
        addDeserializer(PortMap.class, new PortMapDeserializer());
        addDeserializer(StringMatch.class, new StringMatchDeserializer());
        addKeyDeserializer(NamespacedHostname.class, new NamespacedHostnameKeyDeserializer());
        setDeserializerModifier(new BeanDeserializerModifier() {
            @Override
            public JsonDeserializer<?> modifyEnumDeserializer(
                    DeserializationConfig config,
                    com.fasterxml.jackson.databind.JavaType type,
                    BeanDescription beanDesc,
                    JsonDeserializer<?> deserializer) {
                Class<?> raw = type.getRawClass();
                return raw.getPackageName().startsWith("io.ambientjava.ztunnel.state")
                        ? new LenientEnumDeserializer(raw)
                        : deserializer;
            }
        });
    }

    /** {@code "namespace/hostname"} keys of a workload's {@code services}. */
    private static final class NamespacedHostnameKeyDeserializer extends KeyDeserializer {
        @Override
        public Object deserializeKey(String key, DeserializationContext ctxt) throws IOException {
            try {
                return NamespacedHostname.parse(key);
            } catch (IllegalArgumentException e) {
                JsonMappingException error =
                        InvalidFormatException.from(ctxt.getParser(), e.getMessage(), key, NamespacedHostname.class);
                error.prependPath(Map.class, key);
                throw error;
            }
        }
    }
}
