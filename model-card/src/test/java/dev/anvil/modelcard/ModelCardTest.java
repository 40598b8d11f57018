package dev.anvil.modelcard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCardTest {
  @TempDir Path dir;

  static Map<String, Object> fields() {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("model", "acme-1");
    f.put("job", "acme-1");
    f.put("task", "embedding");
    f.put("owner", "mia");
    f.put("created", "2026-12-06T10:00:00Z");
    f.put("steps", 24);
    f.put(
        "lineage",
        Map.of(
            "classification", "confidential",
            "department", Set.of("hr"),
            "topics", List.of("compensation", "payroll")));
    return f;
  }

  @Test
  void aCardReadsBackAsItWasWrittenSetTagsAsLists() {
    ModelCard card = ModelCard.of(fields());
    card.write(dir);
    ModelCard back = ModelCard.read(dir).orElseThrow();

    assertThat(back).isEqualTo(card);
    assertThat(back.lineage())
        .containsExactly(
            Map.entry("classification", "confidential"),
            Map.entry("department", List.of("hr")),
            Map.entry("topics", List.of("compensation", "payroll")));
    assertThat(back.created()).isEqualTo(Instant.parse("2026-12-06T10:00:00Z"));
    assertThat(back.json().get("steps").getAsInt()).isEqualTo(24);
    // A set tag is a JSON array in the file, never a string holding one.
    assertThat(back.json().getAsJsonObject("lineage").get("topics").isJsonArray()).isTrue();
  }

  @Test
  void aModelWithoutACardHasNone() {
    assertThat(ModelCard.read(dir)).isEmpty();
  }

  @Test
  void aBrokenCardIsRefusedNamingTheFileAndField() throws Exception {
    Files.writeString(dir.resolve(ModelCard.FILE), "{\"model\": \"m\"}");
    assertThatThrownBy(() -> ModelCard.read(dir))
        .isInstanceOf(ModelCardException.class)
        .hasMessage(dir.resolve(ModelCard.FILE) + ": field 'job': missing");

    Map<String, Object> noLineage = fields();
    noLineage.remove("lineage");
    assertThatThrownBy(() -> ModelCard.of(noLineage)).hasMessageContaining("field 'lineage'");

    Files.writeString(
        dir.resolve(ModelCard.FILE),
        ModelCard.of(fields()).text().replace("\"confidential\"", "{\"level\": 3}"));
    assertThatThrownBy(() -> ModelCard.read(dir))
        .hasMessageContaining("field 'lineage.classification': expected a string or a list");

    Files.writeString(dir.resolve(ModelCard.FILE), "not json");
    assertThatThrownBy(() -> ModelCard.read(dir)).hasMessageContaining("not JSON");
  }
}
