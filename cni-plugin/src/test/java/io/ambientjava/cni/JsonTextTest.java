package io.ambientjava.cni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTextTest {
    private final ObjectMapper jackson = new ObjectMapper();

    @Test
    void aCniResultRoundTripsWithTheSameMeaning() throws Exception {
        String result = """
                {"cniVersion":"1.0.0","interfaces":[{"name":"eth0","mac":"0a:58:c6:12:05:02","sandbox":"/var/run/netns/p"}],
                 "ips":[{"address":"198.18.5.2/24","gateway":"198.18.5.1","interface":0}],
                 "routes":[{"dst":"0.0.0.0/0"}],"dns":{},"mtu":1500,"ratio":-1.5e3,"up":true,"down":false,"none":null,
                 "text":"tab\\t quote\\" slash\\\\ unicode \\u00e9 \\u0001"}""";

        String written = JsonText.write(JsonText.parse(result));

        assertThat(jackson.readTree(written)).isEqualTo(jackson.readTree(result));
    }

    @Test
    void valuesHaveTheDocumentedTypes() {
        Map<String, Object> object = JsonText.parseObject("{\"a\":[1,\"x\",true,null],\"b\":{}}");

        assertThat(object.get("a")).isEqualTo(List.of(new JsonText.Number("1"), "x", true, JsonText.NULL));
        assertThat(object.get("b")).isEqualTo(Map.of());
        assertThat(JsonText.string(object, "a")).isNull();
    }

    @Test
    void malformedInputNamesWhatAndWhere() {
        assertThatThrownBy(() -> JsonText.parse("{\"cniVersion\": \"1.0.0\",\n \"name\": }"))
                .isInstanceOf(JsonText.MalformedJsonException.class)
                .hasMessage("unexpected '}' at line 2, column 10");
        assertThatThrownBy(() -> JsonText.parse("{\"a\":1} x"))
                .hasMessageStartingWith("unexpected 'x' after the value");
        assertThatThrownBy(() -> JsonText.parse("[1,2")).hasMessageStartingWith("expected ',' or ']' in an array");
        assertThatThrownBy(() -> JsonText.parse("\"open")).hasMessageStartingWith("unterminated string");
        assertThatThrownBy(() -> JsonText.parse("-")).hasMessageStartingWith("a number needs digits");
        assertThatThrownBy(() -> JsonText.parse("tru")).hasMessageStartingWith("unexpected 't'");
        assertThatThrownBy(() -> JsonText.parse("[".repeat(100))).hasMessageStartingWith("nested deeper than 64");
        assertThatThrownBy(() -> JsonText.parseObject("[1]")).hasMessage("expected a JSON object");
    }
}
