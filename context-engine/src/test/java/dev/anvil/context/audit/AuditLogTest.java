package dev.anvil.context.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
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
        "OK",
        "");
  }

  private static List<String> lines(Path file) throws Exception {
    return Files.readAllLines(file);
  }

  private Path logOf(int records) {
    Path file = dir.resolve("audit.jsonl");
    try (AuditLog log = AuditLog.open(file)) {
      for (int i = 1; i <= records; i++) {
        log.append(event("s" + i));
      }
    }
    return file;
  }

  private static AuditChain.Broken broken(Path file) {
    return (AuditChain.Broken) AuditChain.verify(file);
  }

  @Test
  void recordsAreChainedAndTheChainVerifies() throws Exception {
    Path file = logOf(3);
    List<String> lines = lines(file);
    assertThat(lines.get(0)).startsWith("{\"seq\":1,\"prev\":\"" + "0".repeat(64) + "\",");
    assertThat(lines.get(1)).startsWith("{\"seq\":2,\"prev\":\"" + AuditChain.sha256(lines.get(0)));
    assertThat(AuditChain.verify(file))
        .isEqualTo(
            new AuditChain.Intact(3, new AuditChain.Link(3, AuditChain.sha256(lines.get(2))), 0));
    // Reopened, the log continues the chain.
    try (AuditLog log = AuditLog.open(file)) {
      assertThat(log.head().seq()).isEqualTo(3);
      log.append(event("s4"));
    }
    assertThat(AuditChain.verify(file)).isInstanceOf(AuditChain.Intact.class);
  }

  @Test
  void theFirstAlteredRemovedOrReorderedRecordIsReported() throws Exception {
    Path file = logOf(5);
    List<String> original = lines(file);

    List<String> altered = new ArrayList<>(original);
    altered.set(1, altered.get(1).replace("\"subject\":\"s2\"", "\"subject\":\"mallory\""));
    Files.write(file, altered);
    assertThat(broken(file).toString())
        .isEqualTo(file + ":2: record 2 was altered: its SHA-256 is not the prev of record 3");

    List<String> removed = new ArrayList<>(original);
    removed.remove(2);
    Files.write(file, removed);
    assertThat(broken(file).toString())
        .isEqualTo(file + ":3: record 3 is missing before record 4 (removed or moved)");

    List<String> reordered = new ArrayList<>(original);
    reordered.set(1, original.get(2));
    reordered.set(2, original.get(1));
    Files.write(file, reordered);
    assertThat(broken(file).toString())
        .isEqualTo(file + ":2: record 2 is missing before record 3 (removed or moved)");

    // The last record has no successor to betray it, and a cut-off end leaves no gap: the head
    // kept elsewhere (the audit topic's) shows both.
    AuditChain.Link kept = new AuditChain.Link(5, AuditChain.sha256(original.get(4)));
    List<String> lastAltered = new ArrayList<>(original);
    lastAltered.set(4, lastAltered.get(4).replace("s5", "s6"));
    Files.write(file, lastAltered);
    assertThat(AuditChain.verify(file)).isInstanceOf(AuditChain.Intact.class);
    assertThat(AuditChain.verify(file, java.util.Optional.of(kept)).toString())
        .isEqualTo(file + ":5: record 5 is not the one the head kept elsewhere names (altered)");
    Files.write(file, original.subList(0, 3));
    assertThat(AuditChain.verify(file, java.util.Optional.of(kept)).toString())
        .isEqualTo(
            file
                + ":3: the log ends at record 3, the head kept elsewhere is record 5 (records cut"
                + " off the end)");
    Files.write(file, original);
    assertThat(AuditChain.verify(file, java.util.Optional.of(kept)))
        .isInstanceOf(AuditChain.Intact.class);
  }

  @Test
  void concurrentAppendsShareForcesAndTheChainStaysWholeAcrossRotations() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    int size = (event("s1").toJson(1, "0".repeat(64)) + "\n").length();
    int threads = 8;
    int each = 200;
    try (AuditLog log = AuditLog.open(file, 50L * size)) {
      var pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
      List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < each; i++) {
                    log.append(event("t" + thread + "-" + i));
                  }
                }));
      }
      for (var f : done) {
        f.get(); // every append returned: its record was forced (or rotated out, which forces)
      }
      pool.shutdown();
    }
    assertThat(AuditChain.files(file).size()).as("rotated along the way").isGreaterThan(10);
    assertThat(AuditChain.verify(file))
        .isInstanceOfSatisfying(
            AuditChain.Intact.class,
            i -> assertThat(i.head().seq()).isEqualTo((long) threads * each));
  }

  @Test
  void theLogRotatesBySizeAndTheChainContinuesAcrossFiles() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    int size = (event("s1").toJson(1, "0".repeat(64)) + "\n").length();
    try (AuditLog log = AuditLog.open(file, 3L * size + 10)) {
      for (int i = 1; i <= 10; i++) {
        log.append(event("s" + i));
      }
    }
    assertThat(AuditChain.files(file))
        .extracting(p -> p.getFileName().toString())
        .containsExactly("audit.jsonl.1", "audit.jsonl.2", "audit.jsonl.3", "audit.jsonl");
    assertThat(AuditChain.verify(file))
        .isInstanceOfSatisfying(
            AuditChain.Intact.class, i -> assertThat(i.head().seq()).isEqualTo(10));
    // A rotated file deleted: the records it held are missing.
    Files.delete(dir.resolve("audit.jsonl.2"));
    assertThat(broken(file).toString())
        .isEqualTo(
            dir.resolve("audit.jsonl.3").toAbsolutePath()
                + ":1: records 4 to 6 are missing before record 7 (removed or moved)");
  }

  @Test
  void aLineCutShortByACrashIsKeptAndTheNextRecordSaysSo() throws Exception {
    Path file = logOf(2);
    String torn = "{\"seq\":3,\"prev\":\"ab\",\"time\":\"2026-11-25T12:00:01Z\",\"subj";
    Files.writeString(file, torn, java.nio.file.StandardOpenOption.APPEND);
    long before = Files.size(file);
    try (AuditLog log = AuditLog.open(file)) {
      log.append(event("s3"));
    }
    assertThat(Files.size(file)).as("never truncated").isGreaterThan(before);
    List<String> lines = lines(file);
    assertThat(lines.get(2)).isEqualTo(torn);
    assertThat(lines.get(3))
        .startsWith("{\"seq\":3,\"prev\":\"" + AuditChain.sha256(lines.get(1)))
        .contains("\"action\":\"audit_log_recovered\"")
        .contains("\"detail\":\"torn_bytes=" + torn.length() + "\"");
    assertThat(lines.get(4)).startsWith("{\"seq\":4,").contains("\"subject\":\"s3\"");
    assertThat(AuditChain.verify(file))
        .isInstanceOfSatisfying(
            AuditChain.Intact.class,
            i -> {
              assertThat(i.records()).isEqualTo(4);
              assertThat(i.recovered()).isEqualTo(1);
            });
  }

  @Test
  void aLogFromBeforeTheChainIsKeptAsideNotRewritten() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    Files.writeString(file, event("old").toJson() + "\n");
    try (AuditLog log = AuditLog.open(file)) {
      log.append(event("new"));
    }
    try (var s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString()).toList())
          .anyMatch(n -> n.startsWith("audit.jsonl.pre-chain-"));
    }
    assertThat(AuditChain.verify(file)).isInstanceOf(AuditChain.Intact.class);
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
