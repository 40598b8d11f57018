package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.index.elastic.ElasticNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code anvil ingest}, {@code search} and {@code delete} with {@code --backend elasticsearch}
 * against a real node answer exactly as over the embedded index: the same refusals, the same hits
 * in the same order with the same permitting policies, the same deletions.
 */
@Tag("heavy")
class ElasticBackendCommandTest {
  @TempDir Path tmp;
  private String previousData;

  @BeforeEach
  void data() {
    previousData = System.getProperty("anvil.data");
    System.setProperty("anvil.data", tmp.resolve("data").toString());
  }

  @AfterEach
  void restore() {
    if (previousData == null) {
      System.clearProperty("anvil.data");
    } else {
      System.setProperty("anvil.data", previousData);
    }
  }

  /** The outputs of one scenario of commands, run with {@code backend}'s options. */
  private static List<String> scenario(String... backend) {
    Path corpus = PolicyCommandTest.examplePack().getParent().resolve("demo-corpus/acme.jsonl");
    List<String> outputs = new ArrayList<>();
    String[][] commands = {
      {"ingest", corpus.toString(), "--as", "kafka-connector"},
      {"search", "kernel upgrade", "--as", "alice"},
      {"search", "kernel upgrade", "--as", "frank"},
      {"search", "roadmap latency", "--as", "alice", "--mode", "DENSE"},
      {"delete", "--tag", "department=engineering", "--as", "alice"},
      {"search", "kernel upgrade", "--as", "alice"},
    };
    for (String[] command : commands) {
      String[] args =
          Stream.of(
                  Stream.of(command),
                  Stream.of("--pack", PolicyCommandTest.examplePack().toString()),
                  Stream.of(backend))
              .flatMap(s -> s)
              .toArray(String[]::new);
      PolicyCommandTest.Run r = PolicyCommandTest.anvil(args);
      if (!command[0].equals("ingest")) { // ingest says 1: the HR and legal documents are refused
        assertThat(r.exit()).as("anvil %s: %s", String.join(" ", args), r.err()).isZero();
      }
      outputs.add("exit " + r.exit() + "\n" + r.out());
    }
    return outputs;
  }

  @Test
  void commandsOnTheClusterAnswerAsOnTheEmbeddedIndex() {
    List<String> embedded = scenario("--index", tmp.resolve("index").toString());
    List<String> cluster =
        scenario(
            "--backend",
            "elasticsearch",
            "--es-url",
            ElasticNode.shared().url().toString(),
            "--es-index-prefix",
            "cli-",
            "--es-replicas",
            "0");
    assertThat(cluster).isEqualTo(embedded);
    assertThat(embedded.get(0)).startsWith("exit 1").contains("hr-system/");
    assertThat(embedded.get(1)).contains("eng-runbook-kernel");
    assertThat(embedded.get(2)).doesNotContain("eng-runbook-kernel");
    assertThat(embedded.get(5)).doesNotContain("eng-runbook-kernel");
  }
}
