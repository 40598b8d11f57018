package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.audit.AuditChain;
import dev.anvil.context.audit.AuditEvent;
import dev.anvil.context.audit.AuditLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code anvil audit verify} on a real, rotated audit log, intact and tampered with. */
class AuditCommandTest {
  @TempDir Path dir;

  @Test
  void verifyReportsTheFirstBrokenLinkWithItsPlace() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    AuditChain.Link head;
    try (AuditLog log = AuditLog.open(file, 1_000)) {
      for (int i = 0; i < 12; i++) {
        log.append(
            new AuditEvent(
                Instant.parse("2026-12-06T12:00:00Z"),
                "alice",
                "alice",
                "agent",
                "ingest",
                "",
                List.of("doc-" + i),
                "sha256:v",
                "m",
                "OK",
                ""));
      }
      head = log.head();
    }
    int files = AuditChain.files(file).size();
    assertThat(files).as("rotated by size").isGreaterThan(1);

    PolicyCommandTest.Run ok =
        PolicyCommandTest.anvil(
            "audit",
            "verify",
            "--file",
            file.toString(),
            "--head",
            head.seq() + ":" + head.sha256());
    assertThat(ok.exit()).as(ok.err()).isZero();
    assertThat(ok.out())
        .isEqualTo(
            "ok: 12 records in "
                + files
                + " files, head 12:"
                + head.sha256()
                + System.lineSeparator());

    // Someone rewrites which document a record names, in the oldest file.
    Path oldest = AuditChain.files(file).getFirst();
    List<String> lines = new ArrayList<>(Files.readAllLines(oldest));
    lines.set(1, lines.get(1).replace("doc-1", "doc-9"));
    Files.write(oldest, lines);
    PolicyCommandTest.Run broken =
        PolicyCommandTest.anvil("audit", "verify", "--file", file.toString());
    assertThat(broken.exit()).isEqualTo(Main.FAILED);
    assertThat(broken.out())
        .isEqualTo(
            "broken: "
                + oldest
                + ":2: record 2 was altered: its SHA-256 is not the prev of record 3"
                + System.lineSeparator());
  }

  @Test
  void cliWritesAreRecordedBeforeTheyAreMadeAndALockedLogStopsThem() throws Exception {
    Path docs =
        Files.writeString(
            dir.resolve("docs.jsonl"),
            """
            {"id": "eng-1", "version": 1, "title": "Runbook", "body": "Upgrade the kernel.", "tags": {"classification": "internal", "department": ["engineering"]}}
            {"id": "hr-1", "version": 1, "title": "Bands", "body": "Salary bands.", "tags": {"classification": "confidential", "department": ["hr"]}}
            """);
    String pack = PolicyCommandTest.examplePack().toString();
    String index = dir.resolve("index").toString();
    String audit = dir.resolve("audit.jsonl").toString();
    String[] ingestAsAlice = {
      "ingest", docs.toString(), "--as", "alice", "--pack", pack, "--index", index, "--audit", audit
    };
    PolicyCommandTest.Run ingest = PolicyCommandTest.anvil(ingestAsAlice);
    assertThat(ingest.out()).contains("1 indexed");
    PolicyCommandTest.Run delete =
        PolicyCommandTest.anvil(
            "delete", "eng-1", "--as", "alice", "--pack", pack, "--index", index, "--audit", audit);
    assertThat(delete.exit()).as(delete.err()).isZero();

    List<String> lines = Files.readAllLines(Path.of(audit));
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0))
        .contains("\"subject\":\"alice\"", "\"agent\":\"anvil-cli\"", "\"action\":\"ingest\"")
        .contains(
            "\"document_ids\":[\"eng-1\"]", "\"status\":\"OK\"", "\"policy_version\":\"sha256:");
    assertThat(lines.get(1))
        .contains("\"document_ids\":[\"hr-1\"]", "\"status\":\"PERMISSION_DENIED\"");
    assertThat(lines.get(2))
        .contains("\"action\":\"delete\"", "\"document_ids\":[\"eng-1\"]", "\"OK\"");
    assertThat(PolicyCommandTest.anvil("audit", "verify", "--file", audit).exit()).isZero();

    // Another writer holds the log: the write is refused before anything is stored.
    try (AuditLog other = AuditLog.open(Path.of(audit))) {
      PolicyCommandTest.Run refused = PolicyCommandTest.anvil(ingestAsAlice);
      assertThat(refused.exit()).isNotZero();
      assertThat(refused.err()).contains("the audit log is in use by another writer");
    }
    PolicyCommandTest.Run search =
        PolicyCommandTest.anvil(
            "search", "kernel", "--as", "alice", "--pack", pack, "--index", index);
    assertThat(search.out()).doesNotContain("eng-1");
  }
}
