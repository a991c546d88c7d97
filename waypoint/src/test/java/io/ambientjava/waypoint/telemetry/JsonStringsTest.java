package io.ambientjava.waypoint.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JsonStringsTest {

    @Test
    void quotesAndEscapesWhatJsonRequires() {
        StringBuilder out = new StringBuilder();
        JsonStrings.quote(out, "say \"hi\"\\ \n\r\t\u0001 é");
        assertThat(out).hasToString("\"say \\\"hi\\\"\\\\ \\n\\r\\t\\u0001 é\"");
    }
}
