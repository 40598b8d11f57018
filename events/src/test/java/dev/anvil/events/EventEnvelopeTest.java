package dev.anvil.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class EventEnvelopeTest {
  @Test
  void anEnvelopeReadsBackAsWrittenInReadableJson() {
    JsonObject data = new JsonObject();
    data.addProperty("action", "search");
    data.addProperty("time", "2026-12-06T10:00:00Z");
    data.addProperty("reason", "expected a number >= 0");
    EventEnvelope e = EventEnvelope.of("id-1", "anvil.audit.", "action", data, "test");

    assertThat(e.type()).isEqualTo("anvil.audit.search");
    assertThat(e.time()).isEqualTo(Instant.parse("2026-12-06T10:00:00Z"));
    assertThat(e.toJson()).startsWith("{\"schema_version\":1,\"id\":\"id-1\"").contains(">= 0");
    assertThat(EventEnvelope.parse(e.toJson())).isEqualTo(e);
  }

  @Test
  void anEventWithoutItsKindOrTimeIsRefusedByName() {
    JsonObject data = new JsonObject();
    data.addProperty("time", "2026-12-06T10:00:00Z");
    assertThatThrownBy(() -> EventEnvelope.of("id", "anvil.job.", "type", data, "test"))
        .hasMessage("event without 'type'");
    assertThatThrownBy(
            () ->
                EventEnvelope.parse(
                    "{\"schema_version\":2,\"id\":\"i\",\"type\":\"t\",\"time\":\"x\","
                        + "\"source\":\"s\",\"data\":{}}"))
        .hasMessageContaining("envelope schema version 2 is not known");
  }
}
