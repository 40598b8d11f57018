package dev.anvil.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.context.api.Change;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.IngestOutcome;
import dev.anvil.context.api.WriteAudit;
import dev.anvil.context.audit.AuditChain;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every write path records its writes before making them and its refusals after, with the ids and
 * the policy version; a write whose record cannot be made durable is not made, and what is stored
 * stays as it was.
 */
class WriteAuditTest {
  @TempDir Path dir;
  ContextEngine engine;
  final PrincipalDirectory people = PrincipalDirectory.load(TestPacks.example().principalsFile());
  final Principal connector = people.find("kafka-connector").orElseThrow();
  final Principal alice = people.find("alice").orElseThrow();

  /** One record as the engine hands it over, and whether its write was visible at that moment. */
  record Seen(String action, List<String> ids, String status, boolean visible) {}

  /** Records what the engine hands over, noting whether the first id was already readable. */
  final class Recording implements WriteAudit {
    final List<Seen> seen = new ArrayList<>();
    String version;

    @Override
    public void record(String action, List<String> ids, String policyVersion, String status) {
      version = policyVersion;
      boolean visible = !ids.isEmpty() && !engine.get(connector, ids.getFirst()).isEmpty();
      seen.add(new Seen(action, ids, status, visible));
    }
  }

  /** An audit log that can no longer make anything durable. */
  static final WriteAudit BROKEN =
      (action, ids, policyVersion, status) -> {
        throw new UncheckedIOException(new java.io.IOException("No space left on device"));
      };

  @BeforeEach
  void open() {
    engine =
        ContextEngine.open(
            dir.resolve("index"), PolicyStore.open(TestPacks.example()), SharedEmbedder.get());
  }

  @AfterEach
  void close() {
    engine.close();
  }

  static Document eng(String id, long version, String body) {
    return new Document(
        id,
        version,
        "",
        body,
        "",
        Map.of("classification", "internal", "department", List.of("engineering")));
  }

  static Document hr(String id) {
    return new Document(
        id,
        1,
        "",
        "Salary bands.",
        "",
        Map.of("classification", "confidential", "department", List.of("hr")));
  }

  @Test
  void writesAreRecordedBeforeTheyAreMadeAndRefusalsAfter() {
    engine.ingest(connector, List.of(hr("hr-1")));
    Recording audit = new Recording();
    List<IngestOutcome> outcomes =
        engine.ingest(
            alice,
            List.of(
                eng("e1", 1, "Kernel runbook."),
                eng("e2", 1, "Build farm."),
                hr("hr-2"), // alice may not ingest HR documents
                new Document("bad", 1, "", "x", "", Map.of("classification", "internal")),
                eng("hr-1", 2, "Overwrite HR's document.")), // an id alice may not read
            audit);
    assertThat(outcomes)
        .extracting(o -> o.getClass().getSimpleName())
        .containsExactly("Indexed", "Indexed", "Denied", "Rejected", "Conflict");
    assertThat(audit.version).isEqualTo(engine.policies().current().version());
    assertThat(audit.seen)
        .containsExactly(
            new Seen("ingest", List.of("e1", "e2"), "OK", false),
            new Seen("ingest", List.of("hr-1"), "ALREADY_EXISTS", true),
            new Seen("ingest", List.of("bad"), "INVALID_ARGUMENT", false),
            new Seen("ingest", List.of("hr-2"), "PERMISSION_DENIED", false));

    Recording deletes = new Recording();
    engine.delete(alice, "e1", deletes);
    engine.delete(alice, "hr-1", deletes); // hidden from alice: not found, whether it exists or not
    engine.apply(List.of(new Change.Delete(alice, "e2")), deletes);
    engine.ingest(alice, List.of(eng("e3", 1, "Three."), eng("e4", 1, "Four.")));
    engine.deleteWhere(alice, Map.of("classification", List.of("internal")), deletes);
    assertThat(deletes.seen)
        .containsExactly(
            new Seen("delete", List.of("e1"), "OK", true),
            new Seen("delete", List.of("hr-1"), "NOT_FOUND", true),
            new Seen("delete", List.of("e2"), "OK", true),
            new Seen("delete", List.of("e3", "e4"), "OK", true));
  }

  @Test
  void aWriteWhoseRecordCannotBeMadeDurableIsNotMade() {
    engine.ingest(alice, List.of(eng("kept", 1, "The original text.")));

    assertThatThrownBy(
            () ->
                engine.ingest(
                    alice, List.of(eng("new", 1, "New."), eng("kept", 2, "Replaced.")), BROKEN))
        .isInstanceOf(UncheckedIOException.class);
    assertThatThrownBy(() -> engine.delete(alice, "kept", BROKEN))
        .isInstanceOf(UncheckedIOException.class);
    assertThatThrownBy(
            () -> engine.deleteWhere(alice, Map.of("classification", List.of("internal")), BROKEN))
        .isInstanceOf(UncheckedIOException.class);
    assertThatThrownBy(() -> engine.apply(List.of(new Change.Delete(alice, "kept")), BROKEN))
        .isInstanceOf(UncheckedIOException.class);

    assertThat(engine.get(alice, "new")).isEmpty();
    assertThat(engine.get(alice, "kept"))
        .singleElement()
        .satisfies(h -> assertThat(h.text()).isEqualTo("The original text."));
    // After a restart too: nothing of the refused writes was committed.
    engine.close();
    open();
    assertThat(engine.get(alice, "new")).isEmpty();
    assertThat(engine.get(alice, "kept")).singleElement();
  }

  @Test
  void aClosedAuditLogFailsTheWriteAndTheChainStaysIntact() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    AuditLog log = AuditLog.open(file);
    WriteAudit recorder = log.recorder("alice", "alice", "test", engine::modelId);
    engine.ingest(alice, List.of(eng("a", 1, "A.")), recorder);
    log.close(); // its disk is gone
    assertThatThrownBy(() -> engine.ingest(alice, List.of(eng("b", 1, "B.")), recorder))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("writing the audit log");
    assertThat(engine.get(alice, "b")).isEmpty();
    assertThat(Files.readAllLines(file))
        .singleElement()
        .satisfies(l -> assertThat(l).contains("\"document_ids\":[\"a\"]").contains("\"OK\""));
    assertThat(AuditChain.verify(file)).isInstanceOf(AuditChain.Intact.class);
  }
}
