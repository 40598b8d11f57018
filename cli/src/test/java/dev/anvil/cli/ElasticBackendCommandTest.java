package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.index.elastic.ElasticNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code anvil ingest}, {@code search} and {@code delete} with {@code --backend elasticsearch}
 * against a real node answer exactly as over the embedded index: the same refusals, the same hits
 * in the same order with the same permitting policies, the same deletions.
 */
@Tag("heavy")
class ElasticBackendCommandTest {
  @RegisterExtension final LocalData data = new LocalData();

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
    List<String> embedded = scenario("--index", data.resolve("index").toString());
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

  /**
   * {@code anvil policy diff --backend elasticsearch} counts in the engine's index in the cluster
   * and prints what it prints over the embedded index holding the same documents (all but the line
   * that says where it counted), as a table and as JSON, with the same exit code; a cluster without
   * the engine's index is a clear error.
   */
  @Test
  void policyDiffOnTheClusterPrintsWhatItPrintsOverTheEmbeddedIndex() throws IOException {
    String pack = PolicyCommandTest.examplePack().toString();
    Path corpus = PolicyCommandTest.examplePack().getParent().resolve("demo-corpus/acme.jsonl");
    String[] cluster = {
      "--backend",
      "elasticsearch",
      "--es-url",
      ElasticNode.shared().url().toString(),
      "--es-index-prefix",
      "cli-diff-",
      "--es-replicas",
      "0"
    };
    String embedded = data.resolve("index").toString();
    PolicyCommandTest.anvil(
        "ingest",
        corpus.toString(),
        "--as",
        "kafka-connector",
        "--pack",
        pack,
        "--index",
        embedded);
    PolicyCommandTest.anvil(
        Stream.concat(
                Stream.of("ingest", corpus.toString(), "--as", "kafka-connector", "--pack", pack),
                Stream.of(cluster))
            .toArray(String[]::new));
    // Engineering documents for every employee (restricted ones to those cleared for them:
    // exit 3), and company-wide internal material no longer for everyone (hidden).
    Path proposed =
        PolicyDiffCommandTest.packWith(
            data.resolve("proposed"),
            "policies/99-engineering-for-all.yaml",
            y ->
                "- id: engineering-for-all\n  effect: allow\n  actions: [read, train]\n"
                    + "  when: \"'engineering' in doc.department && 'employee' in principal.roles\"\n");
    Path baseline = proposed.resolve("policies/00-baseline.yaml");
    String y = Files.readString(baseline);
    Files.writeString(
        baseline,
        y.substring(0, y.indexOf("- id: all-staff-internal"))
            + y.substring(y.indexOf("- id: department-confidential")));
    String[][] variants = {
      {},
      {"--json"},
      {"--all", "--samples", "100", "--by", "region", "--action", "read", "--action", "train"}
    };
    for (String[] variant : variants) {
      List<String> args = new ArrayList<>(List.of("policy", "diff", pack, proposed.toString()));
      args.addAll(List.of(variant));
      List<String> onLucene = new ArrayList<>(args);
      onLucene.addAll(List.of("--index", embedded));
      List<String> onCluster = new ArrayList<>(args);
      onCluster.addAll(List.of(cluster));
      PolicyCommandTest.Run a = PolicyCommandTest.anvil(onLucene.toArray(String[]::new));
      PolicyCommandTest.Run b = PolicyCommandTest.anvil(onCluster.toArray(String[]::new));
      assertThat(b.err()).as("anvil %s", onCluster).isEmpty();
      assertThat(a.exit())
          .as("anvil %s: %s", onLucene, a.err())
          .isEqualTo(PolicyDiffCommand.EXPOSES);
      assertThat(b.exit()).isEqualTo(a.exit());
      if (variant.length > 0 && variant[0].equals("--json")) {
        assertThat(b.out()).isEqualTo(a.out()).contains("\"gate_tripped\": true");
      } else {
        assertThat(b.out().lines().skip(1).toList()).isEqualTo(a.out().lines().skip(1).toList());
        assertThat(a.out().lines().findFirst().orElseThrow())
            .isEqualTo("policy diff over the index at " + embedded);
        assertThat(b.out().lines().findFirst().orElseThrow())
            .isEqualTo(
                "policy diff over the index cli-diff-chunks in ["
                    + ElasticNode.shared().url()
                    + "]");
      }
    }

    PolicyCommandTest.Run none =
        PolicyCommandTest.anvil(
            "policy",
            "diff",
            pack,
            proposed.toString(),
            "--backend",
            "elasticsearch",
            "--es-url",
            ElasticNode.shared().url().toString(),
            "--es-index-prefix",
            "cli-never-");
    assertThat(none.exit()).isEqualTo(2);
    assertThat(none.err())
        .startsWith("anvil: no index cli-never-chunks in ")
        .contains("nothing was ingested with this --es-index-prefix and data directory");
  }
}
