package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.modelcard.ModelCard;
import dev.anvil.trainer.TinyModels;
import dev.anvil.trainer.promote.GateRulesException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The command line's side of honest evaluation: the gate decides on dev unless told otherwise and
 * refuses test wherever its split is given (option, environment); {@code anvil model report}
 * measures a model on test once and answers from its card after.
 */
class HonestEvaluationCommandTest {
  @TempDir Path dir;

  private static TrainCommand.GateOptions gateOfServe(Map<String, String> env, String... args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setDefaultValueProvider(new Configuration(env));
    CommandLine.ParseResult parsed = cli.parseArgs(args);
    return ((TrainCommand.Serve) parsed.subcommand().subcommand().commandSpec().userObject()).gate;
  }

  @Test
  void theTrainersGateDecidesOnDevByDefaultAndRefusesTestHoweverGiven() {
    assertThat(gateOfServe(Map.of(), "train", "serve").split).isEqualTo("dev");

    TrainCommand.GateOptions option =
        gateOfServe(Map.of(), "train", "serve", "--gate-split", "test");
    assertThatThrownBy(option::setup)
        .isInstanceOf(GateRulesException.class)
        .hasMessageStartingWith("--gate-split 'test': the gate never decides on the test split")
        .hasMessageContaining("anvil model report");
    // The Helm chart's way: the environment.
    TrainCommand.GateOptions env =
        gateOfServe(Map.of("ANVIL_GATE_SPLIT", "TEST"), "train", "serve");
    assertThatThrownBy(env::setup).hasMessageStartingWith("--gate-split 'TEST'");
  }

  @Test
  void anvilModelGateRefusesTheTestSplitNamingTheOption() throws Exception {
    Path set = TinyModels.beir(dir.resolve("set"), TinyModels.pairs(), "test");
    Path rules =
        Files.writeString(dir.resolve("gate.yaml"), "max_lineage: {classification: internal}\n");

    PolicyCommandTest.Run r =
        PolicyCommandTest.anvil(
            "model",
            "gate",
            dir.resolve("candidate").toString(),
            "--serving",
            dir.resolve("serving").toString(),
            "--eval",
            set.toString(),
            "--regression",
            set.toString(),
            "--rules",
            rules.toString(),
            "--split",
            "test");

    assertThat(r.exit()).isEqualTo(Main.USAGE);
    assertThat(r.err())
        .contains("anvil: --split 'test': the gate never decides on the test split")
        .contains("'dev', the default");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void anvilModelGateWithoutADevSplitNamesTheFolderAndFiles() throws Exception {
    Path onlyTest = TinyModels.beir(dir.resolve("only-test"), TinyModels.pairs(), "test");
    Path rules =
        Files.writeString(dir.resolve("gate.yaml"), "max_lineage: {classification: internal}\n");
    System.setProperty("anvil.data", dir.resolve("data").toString());
    try {
      PolicyCommandTest.Run r =
          PolicyCommandTest.anvil(
              "model",
              "gate",
              dir.resolve("candidate").toString(),
              "--serving",
              dir.resolve("serving").toString(),
              "--eval",
              onlyTest.toString(),
              "--regression",
              onlyTest.toString(),
              "--rules",
              rules.toString(),
              "--pack",
              PolicyCommandTest.examplePack().toString());

      assertThat(r.exit()).as(r.err()).isEqualTo(Main.USAGE);
      assertThat(r.err())
          .contains(onlyTest + ": no qrels/dev.tsv, and no qrels/train.tsv")
          .contains(onlyTest.resolve("qrels/train.tsv").toString());
    } finally {
      System.clearProperty("anvil.data");
    }
  }

  @Test
  void anvilModelReportMeasuresOnceThenPrintsTheRecordedNumbers() throws Exception {
    Path model =
        TinyModels.registeredBase(
            dir.resolve("models"), "m1", Map.of("classification", "internal"));
    Path test = TinyModels.beir(dir.resolve("test-set"), TinyModels.pairs(), "test");

    PolicyCommandTest.Run first =
        PolicyCommandTest.anvil("model", "report", model.toString(), "--test", test.toString());
    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(first.out())
        .startsWith("m1 on test: ndcg@10 0.")
        .contains("recall@100")
        .contains(TinyModels.pairs().size() + " queries of " + test)
        .contains("recorded in its card, once");
    String numbers = first.out().substring(0, first.out().indexOf(" ("));
    assertThat(ModelCard.read(model).orElseThrow().testReport()).isPresent();

    // Without its weights the model cannot be measured again: the answer comes from the card.
    Files.delete(model.resolve("model.safetensors"));
    PolicyCommandTest.Run again =
        PolicyCommandTest.anvil("model", "report", model.toString(), "--test", test.toString());
    assertThat(again.exit()).as(again.err()).isZero();
    assertThat(again.out())
        .startsWith(numbers + " (")
        .contains("by operator; not measured again: test is reported once per model");

    Path other = TinyModels.beir(dir.resolve("other"), TinyModels.pairs().subList(0, 4), "test");
    assertThat(
            PolicyCommandTest.anvil("model", "report", model.toString(), "--test", other.toString())
                .out())
        .startsWith(numbers + " (")
        .contains("note: the recorded report is on " + test + ", not on " + other);
  }

  @Test
  void anvilModelReportRefusesAModelWithoutACard() {
    Path base = TinyModels.huggingFaceDir(dir.resolve("base"));
    Path test = TinyModels.beir(dir.resolve("test-set"), TinyModels.pairs(), "test");

    PolicyCommandTest.Run r =
        PolicyCommandTest.anvil("model", "report", base.toString(), "--test", test.toString());

    assertThat(r.exit()).isEqualTo(Main.USAGE);
    assertThat(r.err()).contains("anvil: " + base + ": no anvil-model-card.json");
    assertThat(r.out()).isEmpty();
  }
}
