package dev.anvil.context;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.api.Document;
import dev.anvil.context.api.SearchHit;
import dev.anvil.context.api.SearchRequest;
import dev.anvil.context.serving.Reembedding;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestJvm;
import dev.anvil.rbac.TestPacks;
import io.opentelemetry.api.OpenTelemetry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process killed with SIGKILL in the middle of a re-embedding restarts on the old model, with the
 * old vectors and every document, never a mix; the re-embedding can then start over and finish.
 */
@Tag("heavy")
class ReembedKillTest {
  @TempDir Path dir;

  @Test
  void aKilledReembeddingLeavesTheOldModelServing() throws Exception {
    PrincipalDirectory people = PrincipalDirectory.load(TestPacks.example().principalsFile());
    Principal alice = people.find("alice").orElseThrow();
    Path index = dir.resolve("index");
    String oldModel;
    List<String> before;
    try (ContextEngine e = open(index)) {
      List<Document> docs = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        docs.add(
            ModelSwitchTest.doc(
                "doc-" + i, 1, "Runbook " + i + ": " + ModelSwitchTest.TOPICS.get(i % 6) + "."));
      }
      e.ingest(people.find("kafka-connector").orElseThrow(), docs);
      oldModel = e.modelId();
      before = dense(e, alice);
    }

    Process p =
        new ProcessBuilder(
                TestJvm.command(
                    ReembedProcessMain.class,
                    index.toString(),
                    TestPacks.example().dir().toString()))
            .redirectErrorStream(true)
            .start();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith("DONE ") && Long.parseLong(line.substring(5)) >= 10) {
          break; // well into the re-embedding (60 chunks at 20 a second)
        }
      }
      assertThat(line).as("the re-embedding process reported progress").isNotNull();
      p.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL
    }

    try (ContextEngine e = open(index)) {
      assertThat(e.modelId()).isEqualTo(oldModel);
      assertThat(e.chunkCount()).isEqualTo(60);
      assertThat(index.resolve("serving.json")).doesNotExist();
      assertThat(dense(e, alice)).isEqualTo(before);
      Reembedding again = e.reembed(dir.resolve("tuned"), 0);
      assertThat(again.finished().get(2, TimeUnit.MINUTES)).isEqualTo("reversed-tuned@1");
      assertThat(e.chunkCount()).isEqualTo(60);
      assertThat(dense(e, alice)).allMatch(ModelSwitchTest::aboutCertificates);
    }
  }

  private static ContextEngine open(Path index) {
    return ContextEngine.open(
        index,
        PolicyStore.open(TestPacks.example()),
        SharedEmbedder.get(),
        ModelSwitchTest.Reversed::new,
        OpenTelemetry.noop());
  }

  private static List<String> dense(ContextEngine e, Principal p) {
    return e
        .search(
            p, new SearchRequest("certificates expiring", 5, 0, Map.of(), SearchRequest.Mode.DENSE))
        .hits()
        .stream()
        .map(SearchHit::documentId)
        .toList();
  }
}
