package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.eval.snapshot.JudgedExample;
import dev.anvil.eval.snapshot.JudgmentSnapshot;
import dev.anvil.eval.snapshot.Provenance;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code anvil eval fusion}: the fusion constant chosen on a judgment snapshot's dev split through
 * the real search, and {@code --fusion-k} and {@code --threads} (like serve's {@code
 * --rollback-hours} and {@code --merge-quiet-seconds}) refused out of range.
 */
@org.junit.jupiter.api.Tag("heavy")
class FusionCommandTest {
  @RegisterExtension final LocalData data = new LocalData();

  private PolicyCommandTest.Run anvil(String... args) {
    return data.anvil(args);
  }

  /** Questions about engineering's documents, each with the document it is about. */
  private static final Map<String, String> ASKED = new LinkedHashMap<>();

  static {
    for (String how :
        List.of(
            "how do we",
            "what is the way to",
            "steps to",
            "can I",
            "who knows how to",
            "where is it written how to",
            "when should we",
            "why do we")) {
      ASKED.put(how + " upgrade the kernel on a node", "eng-runbook-kernel");
      ASKED.put(how + " avoid another search outage from merges", "eng-postmortem-0412");
      ASKED.put(how + " plan the platform roadmap for 2027", "eng-roadmap-2027");
    }
  }

  /** Experts' final labels: each question's document relevant, the kernel press release not. */
  private static JudgmentSnapshot snapshot() {
    List<JudgedExample> examples = new ArrayList<>();
    Map<String, Object> tags = Map.of("classification", "internal", "department", List.of("x"));
    ASKED.forEach(
        (query, doc) -> {
          examples.add(example(query, doc, 2, tags));
          examples.add(example(query, "pub-press-kernel", 0, tags));
        });
    Provenance p =
        new Provenance(
            "kernel",
            "all-minilm-l6-v2",
            "jdbc:h2:mem:x",
            "mia",
            Instant.parse("2026-12-07T00:00:00Z"),
            "v1",
            examples.size() * 2,
            examples.size(),
            0,
            List.of("ada", "andy"),
            OptionalDouble.of(1.0),
            List.of());
    return JudgmentSnapshot.of(p, examples);
  }

  private static JudgedExample example(
      String query, String doc, int label, Map<String, Object> tags) {
    String text = "as judged";
    return new JudgedExample(
        JudgedExample.queryId(query),
        query,
        doc,
        0,
        "",
        text,
        JudgedExample.sha256(text),
        label,
        "agreed",
        List.of("ada", "andy"),
        tags);
  }

  @Test
  void eachConstantIsScoredOnTheDevQueriesOnlyAndTheBestIsNamed() {
    Path corpus = PolicyCommandTest.examplePack().resolveSibling("demo-corpus");
    anvil("ingest", corpus.toString(), "--as", "kafka-connector"); // some sources refused: exit 1
    JudgmentSnapshot s = snapshot();
    long dev =
        ASKED.keySet().stream()
            .filter(q -> JudgmentSnapshot.inDev(JudgedExample.queryId(q)))
            .count();
    assertThat(dev)
        .as("questions in the dev split")
        .isGreaterThanOrEqualTo(2)
        .isLessThan(ASKED.size());
    s.write(data.resolve("snap"));

    PolicyCommandTest.Run run =
        anvil("eval", "fusion", data.resolve("snap").toString(), "--k", "1,60", "--as", "ada");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out())
        .startsWith(dev + " dev queries of snapshot snap, searched as ada")
        .containsPattern("(?m)^1 +[01]\\.\\d{4}$")
        .containsPattern("(?m)^60 +[01]\\.\\d{4}  \\(current --fusion-k\\)$")
        .containsPattern("(?m)^(keep --fusion-k 60|set --fusion-k 1 \\(Helm)");

    java.util.regex.Matcher at60 =
        java.util.regex.Pattern.compile("(?m)^60 +([01]\\.\\d{4})").matcher(run.out());
    assertThat(at60.find()).isTrue();
    assertThat(Double.parseDouble(at60.group(1)))
        .as("ada finds the judged runbooks and postmortem: %s", run.out())
        .isGreaterThan(0.5);

    // The constant the deployment runs with is the one compared against.
    PolicyCommandTest.Run from5 =
        anvil(
            "eval",
            "fusion",
            data.resolve("snap").toString(),
            "--k",
            "5",
            "--fusion-k",
            "5",
            "--as",
            "ada");
    assertThat(from5.out()).contains("(current --fusion-k)").contains("keep --fusion-k 5");
  }

  @Test
  void theBestIsTheCurrentConstantUnlessAnotherDoesStrictlyBetter() {
    Map<Integer, Double> tie = new LinkedHashMap<>(Map.of(1, 0.5));
    tie.put(60, 0.5);
    assertThat(new FusionCommand.Sweep(3, tie, 60).best()).isEqualTo(60);
    Map<Integer, Double> better = new LinkedHashMap<>();
    better.put(1, 0.6);
    better.put(10, 0.6);
    better.put(60, 0.5);
    assertThat(new FusionCommand.Sweep(3, better, 60).best()).isEqualTo(1); // first of equals
    // The current constant not among those tried: the best tried.
    assertThat(new FusionCommand.Sweep(3, Map.of(20, 0.1), 60).best()).isEqualTo(20);
  }

  @Test
  void negativeServingWindowsAreRefusedBeforeTheServerStarts() {
    PolicyCommandTest.Run serve = anvil("serve", "--dev", "--port", "0", "--rollback-hours", "-1");
    assertThat(serve.exit()).isEqualTo(Main.USAGE);
    assertThat(serve.err()).contains("--rollback-hours: expected 0 or more, not -1.0");
    serve = anvil("serve", "--dev", "--port", "0", "--merge-quiet-seconds", "-5");
    assertThat(serve.exit()).isEqualTo(Main.USAGE);
    assertThat(serve.err()).contains("--merge-quiet-seconds: expected 0 or more, not -5");
  }

  @Test
  void aConstantOutOfRangeIsRefusedNamingTheOption() {
    PolicyCommandTest.Run search = anvil("search", "kernel", "--fusion-k", "0", "--as", "ada");
    assertThat(search.exit()).isEqualTo(Main.USAGE);
    assertThat(search.err()).contains("--fusion-k").contains("between 1 and 10000, not 0");
    for (String threads : new String[] {"0", "65"}) {
      PolicyCommandTest.Run many = anvil("search", "kernel", "--threads", threads, "--as", "ada");
      assertThat(many.exit()).isEqualTo(Main.USAGE);
      assertThat(many.err()).contains("--threads: expected 1 to 64").contains("not " + threads);
    }
    snapshot().write(data.resolve("snap"));
    PolicyCommandTest.Run sweep =
        anvil("eval", "fusion", data.resolve("snap").toString(), "--k", "1,20000", "--as", "ada");
    assertThat(sweep.exit()).isEqualTo(Main.USAGE);
    assertThat(sweep.err()).contains("--k").contains("not 20000");
  }
}
