package dev.anvil.context.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {
  @TempDir Path dir;

  private static AuditEvent event(String subject) {
    return new AuditEvent(
        Instant.parse("2026-11-25T12:00:00Z"),
        subject,
        "a\"b\\c\nd",
        "agent",
        "search",
        "sha256:00",
        List.of("x", "y"),
        "sha256:v",
        "m",
        "OK");
  }

  @Test
  void aLineCutShortByACrashIsDroppedOnOpen() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    Files.writeString(
        file, event("s1").toJson() + "\n" + "{\"time\":\"2026-11-25T12:00:01Z\",\"subj");
    try (AuditLog log = AuditLog.open(file)) {
      log.append(event("s2"));
    }
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).contains("\"subject\":\"s1\"");
    assertThat(lines.get(1)).contains("\"subject\":\"s2\"");
  }

  @Test
  void eventsAreEscapedJson() {
    assertThat(event("s").toJson())
        .isEqualTo(
            "{\"time\":\"2026-11-25T12:00:00Z\",\"subject\":\"s\",\"username\":\"a\\\"b\\\\c\\nd\",\"agent\":\"agent\","
                + "\"action\":\"search\",\"query_sha256\":\"sha256:00\",\"document_ids\":[\"x\",\"y\"],"
                + "\"policy_version\":\"sha256:v\",\"model_id\":\"m\",\"status\":\"OK\"}");
  }
}
