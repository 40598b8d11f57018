package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.google.gson.JsonObject;
import dev.anvil.trainer.TinyModels;
import dev.anvil.trainer.data.Example;
import dev.anvil.trainer.model.EncoderModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI's local path through the loop, one {@code anvil} command at a time: train submit (the
 * local store, run in place), model list (read_model), model promote (the gate, then the switch of
 * the local index), search naming the model, rollback.
 */
class ModelPromoteCommandTest {
  @TempDir static Path dir;
  static Path base;
  static String pack;

  @BeforeAll
  static void setUp() throws Exception {
    System.setProperty("anvil.data", dir.resolve("data").toString());
    pack = PolicyCommandTest.examplePack().toString();
    // The model in service, placed in the registry by the operator: the gate measures the
    // candidate against it, by id.
    base =
        TinyModels.registeredBase(
            dir.resolve("data/models"),
            "base",
            Map.of("classification", "internal", "department", List.of("engineering")));
    try (EncoderModel m = EncoderModel.load(base, Device.cpu(), 64)) {
      m.exportOnnx(base, Map.of());
    }
  }

  @AfterAll
  static void tearDown() {
    System.clearProperty("anvil.data");
  }

  @Test
  void trainListPromoteSearchRollback() throws Exception {
    List<Example> pairs = TinyModels.pairs();
    TinyModels.write(dir.resolve("pairs.jsonl"), pairs);
    Path spec =
        Files.writeString(
            dir.resolve("job.yaml"), TinyModels.tunedEmbeddingSpec("cli-loop", "registry: base"));
    PolicyCommandTest.Run trained =
        run("train", "submit", spec.toString(), "--as", "mia", "--pack", pack);
    assertThat(trained.exit()).as(trained.err()).isZero();
    Matcher m = Pattern.compile("state: succeeded -> \\S*/(cli-loop-\\S+)").matcher(trained.out());
    assertThat(m.find()).as(trained.out()).isTrue();
    String model = m.group(1);

    assertThat(run("model", "list", "--as", "mia", "--pack", pack).out()).contains(model);
    assertThat(run("model", "list", "--as", "alice", "--pack", pack).out()).doesNotContain(model);

    // An index of the pairs' answers, embedded by the base model.
    StringBuilder docs = new StringBuilder();
    for (int i = 0; i < pairs.size(); i++) {
      JsonObject o = new JsonObject();
      o.addProperty("id", "doc-" + i);
      o.addProperty("title", "");
      o.addProperty("body", ((Example.Pair) pairs.get(i)).positive());
      o.add("tags", new com.google.gson.Gson().toJsonTree(pairs.get(i).tags()));
      docs.append(o).append('\n');
    }
    Path corpus = Files.writeString(dir.resolve("docs.jsonl"), docs);
    String index = dir.resolve("index").toString();
    String[] engine = {"--index", index, "--model", base.toString(), "--pack", pack};
    assertThat(run("ingest", corpus.toString(), "--as", "kafka-connector", engine).exit()).isZero();

    Path eval = TinyModels.beir(dir.resolve("eval"), pairs);
    Path regression = TinyModels.beir(dir.resolve("regression"), pairs.subList(0, 6));
    Path rules =
        Files.writeString(
            dir.resolve("gate.yaml"),
            "min_margin: 0.01\nmax_lineage: {classification: internal}\n");
    String[] gate = {
      "--gate-rules",
      rules.toString(),
      "--gate-eval",
      eval.toString(),
      "--gate-regression",
      regression.toString()
    };

    PolicyCommandTest.Run denied = run("model", "promote", model, "--as", "mia", engine, gate);
    assertThat(denied.exit()).isEqualTo(Main.FAILED);
    assertThat(denied.err()).contains("mia may not promote " + model).contains("default-deny");

    PolicyCommandTest.Run promoted = run("model", "promote", model, "--as", "olivia", engine, gate);
    assertThat(promoted.exit()).as(promoted.err()).isZero();
    assertThat(promoted.out())
        .contains("promote " + model)
        .contains("serving " + model + "@")
        .contains("on the evaluation set (dev)"); // the default split: no --gate-split given

    assertThat(run("search", "who owns the kernel", "--as", "alice", engine).out())
        .contains("model " + model + "@");
    assertThat(run("model", "rollback", engine).out()).contains("serving base@");
    // The way back to the model taken out is given up: its index goes.
    assertThat(run("model", "rollback", "--drop", engine).out())
        .contains("dropped the rollback to " + model);
    PolicyCommandTest.Run none = run("model", "rollback", "--drop", engine);
    assertThat(none.exit()).isNotZero();
    assertThat(none.err()).contains("no previous model is kept for a rollback");
  }

  /** Runs anvil with the given words and arrays of words, flattened. */
  private static PolicyCommandTest.Run run(Object... parts) {
    List<String> args = new java.util.ArrayList<>();
    for (Object p : parts) {
      if (p instanceof String[] many) {
        args.addAll(List.of(many));
      } else {
        args.add((String) p);
      }
    }
    return PolicyCommandTest.anvil(args.toArray(String[]::new));
  }
}
