package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Document;
import dev.anvil.context.embed.ModelSource;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.eval.BeirDataset;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.TestPacks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code anvil eval beir} reuses an index only when it is proven to be the whole corpus, embedded
 * and chunked as now: an interrupted build resumes, anything else is rebuilt, and either way the
 * numbers are those of a clean build.
 */
class EvalCommandTest {
  static final String[] TOPICS = {"kernel", "salary", "budget", "outage", "release", "vector"};

  @TempDir Path dir;

  /** A BEIR folder of {@code n} documents, one query for each. */
  static Path beir(Path to, int n, String variant) throws Exception {
    StringBuilder corpus = new StringBuilder();
    StringBuilder queries = new StringBuilder();
    StringBuilder qrels = new StringBuilder("query-id\tcorpus-id\tscore\n");
    for (int i = 0; i < n; i++) {
      String topic = TOPICS[i % TOPICS.length];
      corpus.append(line("d" + i, "Report " + i + " on the " + topic + " team" + variant + "."));
      queries.append(line("q" + i, "report " + i + " " + topic));
      qrels.append("q").append(i).append("\td").append(i).append("\t1\n");
    }
    Files.createDirectories(to.resolve("qrels"));
    Files.writeString(to.resolve("corpus.jsonl"), corpus);
    Files.writeString(to.resolve("queries.jsonl"), queries);
    Files.writeString(to.resolve("qrels/test.tsv"), qrels);
    return to;
  }

  private static String line(String id, String text) {
    JsonObject o = new JsonObject();
    o.addProperty("_id", id);
    o.addProperty("text", text);
    return o + "\n";
  }

  private static PolicyCommandTest.Run eval(Path data, Path index, String... more) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "eval",
                "beir",
                data.toString(),
                "--index",
                index.toString(),
                "--pack",
                PolicyCommandTest.examplePack().toString()));
    args.addAll(List.of(more));
    return PolicyCommandTest.anvil(args.toArray(String[]::new));
  }

  /** The metric lines (mode, nDCG@10, recall@100), without the timing column. */
  private static List<String> metrics(String out) {
    return out.lines()
        .filter(l -> l.matches("(bm25|dense|hybrid) .*"))
        .map(l -> l.replaceAll("\\s+\\S+$", ""))
        .toList();
  }

  @Test
  void anInterruptedBuildResumesAndAnsweresAsACleanOne() throws Exception {
    Path data = beir(dir.resolve("beir"), 150, "");
    PolicyCommandTest.Run clean = eval(data, dir.resolve("clean"));
    assertThat(clean.exit()).as(clean.err()).isZero();
    assertThat(clean.out()).contains("indexed 150 documents as 150 chunks");

    // A build killed after its first batch: what it committed is there, the rest is not.
    Path index = dir.resolve("interrupted");
    List<Document> docs = EvalCommand.Beir.documents(BeirDataset.load(data, "test"));
    try (OnnxEmbedder embedder = OnnxEmbedder.open(ModelSource.packagedMiniLm(), 1);
        ContextEngine engine =
            ContextEngine.open(index, PolicyStore.open(TestPacks.example()), embedder)) {
      assertThatThrownBy(
              () ->
                  CorpusIndex.build(
                      engine,
                      EvalCommand.Beir.WRITER,
                      docs,
                      CorpusIndex.digest(docs),
                      done -> {
                        throw new IllegalStateException("killed after " + done);
                      }))
          .hasMessage("killed after 64");
    }

    PolicyCommandTest.Run resumed = eval(data, index);
    assertThat(resumed.exit()).as(resumed.err()).isZero();
    assertThat(resumed.out())
        .contains("resuming the index at " + index + ": its build was interrupted after 64 chunks")
        .contains("completed 150 documents as 150 chunks");
    assertThat(metrics(resumed.out())).isEqualTo(metrics(clean.out())).hasSize(3);

    PolicyCommandTest.Run reused = eval(data, index);
    assertThat(reused.out())
        .contains("reusing the index at " + index + ": complete (150 documents of sha256:")
        .doesNotContain("indexed");
    assertThat(metrics(reused.out())).isEqualTo(metrics(clean.out()));
  }

  @Test
  void aPackagedModelIsChosenByNameAndAnIndexOfAnotherModelIsRebuilt() throws Exception {
    Path data = beir(dir.resolve("beir"), 12, "");
    Path index = dir.resolve("index");
    PolicyCommandTest.Run minilm = eval(data, index);
    assertThat(minilm.exit()).as(minilm.err()).isZero();
    assertThat(minilm.out()).contains("(all-minilm-l6-v2@");

    PolicyCommandTest.Run bge = eval(data, index, "--model", "bge-small-en-v1.5");
    assertThat(bge.exit()).as(bge.err()).isZero();
    assertThat(bge.out())
        .contains("rebuilding the index at " + index + ": it was embedded by all-minilm-l6-v2@")
        .contains("indexed 12 documents as 12 chunks")
        .contains("(bge-small-en-v1.5@");
    // Twelve one-line reports, each query naming its own: a working model ranks it near the top.
    String dense =
        metrics(bge.out()).stream().filter(l -> l.startsWith("dense")).findFirst().orElseThrow();
    assertThat(Double.parseDouble(dense.split("\\s+")[1])).as(dense).isGreaterThan(0.6);

    PolicyCommandTest.Run unknown = eval(data, index, "--model", "bge-large");
    assertThat(unknown.exit()).isEqualTo(Main.USAGE);
    assertThat(unknown.err())
        .contains(
            "--model: expected a packaged model (all-minilm-l6-v2, all-minilm-l6-v2-q, bge-small-en-v1.5) or a model"
                + " directory, but 'bge-large' is neither");
  }

  @Test
  void anIndexOfAnotherCorpusIsRebuiltAndOneItDidNotMakeIsLeftAlone() throws Exception {
    Path index = dir.resolve("index");
    assertThat(eval(beir(dir.resolve("v1"), 70, ""), index).exit()).isZero();

    PolicyCommandTest.Run changed = eval(beir(dir.resolve("v2"), 70, " again"), index);
    assertThat(changed.exit()).as(changed.err()).isZero();
    assertThat(changed.out())
        .contains("rebuilding the index at " + index + ": the corpus changed (sha256:")
        .contains("indexed 70 documents as 70 chunks");

    // Someone's real index, named by mistake: refused, not deleted.
    Path real = dir.resolve("real");
    PolicyCommandTest.Run ingest =
        PolicyCommandTest.anvil(
            "ingest",
            Files.writeString(
                    dir.resolve("real.jsonl"),
                    "{\"id\": \"note-1\", \"version\": 1, \"body\": \"A note.\", \"tags\":"
                        + " {\"classification\": \"internal\", \"department\": [\"engineering\"]}}\n")
                .toString(),
            "--as",
            "kafka-connector",
            "--index",
            real.toString(),
            "--pack",
            PolicyCommandTest.examplePack().toString());
    assertThat(ingest.exit()).as(ingest.err()).isZero();
    PolicyCommandTest.Run refused = eval(beir(dir.resolve("v4"), 70, ""), real);
    assertThat(refused.exit()).isEqualTo(Main.USAGE);
    assertThat(refused.err())
        .contains(
            real + " holds an index that no corpus build made (no build record): not deleting");
    assertThat(Files.list(real)).isNotEmpty();
  }
}
