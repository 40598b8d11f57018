package dev.anvil.trainer.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.trainer.train.Hyperparameters;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobSpecTest {
  @TempDir Path dir;

  @Test
  void aFullSpecReadsWithDefaultsFilledIn() throws Exception {
    Files.writeString(dir.resolve("train.jsonl"), "{}\n");
    JobSpec s =
        JobSpec.parse(
            "spec.yaml",
            """
            name: support-embeddings
            task: embedding
            owner: mia
            base_model: {packaged: all-minilm-l6-v2}
            data:
              train: train.jsonl
              tags: {classification: internal, department: [engineering]}
            hyperparameters: {epochs: 3, learning_rate: 3.0e-5}
            """,
            dir);
    assertThat(s.task()).isEqualTo(JobSpec.Task.EMBEDDING);
    assertThat(s.owner()).hasValue("mia");
    assertThat(s.train()).hasValue(dir.resolve("train.jsonl"));
    assertThat(s.engine()).isEmpty();
    assertThat(s.defaultTags()).containsKey("classification");
    Hyperparameters h = s.hyperparameters();
    assertThat(h.epochs()).isEqualTo(3);
    assertThat(h.learningRate()).isEqualTo(3e-5);
    assertThat(h.batchSize()).isEqualTo(16);
    assertThat(h.schedule()).isEqualTo(Hyperparameters.Schedule.LINEAR);
  }

  /**
   * A spec with a character outside the Basic Multilingual Plane (an emoji, two Java chars) reads
   * wherever it falls, including across the YAML reader's 1,024-character buffer.
   */
  @Test
  void anEmojiAnywhereInASpecReads() throws Exception {
    Files.writeString(dir.resolve("train.jsonl"), "{}\n");
    String head =
        """
        name: support-embeddings
        task: embedding
        base_model: {packaged: all-minilm-l6-v2}
        data: {train: train.jsonl, tags: {classification: internal, department: [engineering]}}
        """;
    for (int at = 1_000; at < 1_060; at++) {
      String comment = "# " + "x".repeat(at - head.length() - 2) + "\uD83D\uDE80\n";
      assertThat(JobSpec.parse("spec.yaml", head + comment, dir).name())
          .isEqualTo("support-embeddings");
    }
  }

  /**
   * A confined spec (sent to a trainer service) names only files in its folder: an absolute path,
   * {@code ..}, or a symbolic link out are refused with one answer, the same whether the target
   * exists or not; a link that stays inside is followed.
   */
  @Test
  void aConfinedSpecNamesOnlyFilesInsideItsFolder() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("job/input"));
    Path secret = Files.writeString(dir.resolve("secret.jsonl"), "{}\n");
    Files.writeString(folder.resolve("train.jsonl"), "{}\n");
    Files.createSymbolicLink(folder.resolve("out.jsonl"), secret);
    Files.createSymbolicLink(folder.resolve("dangling.jsonl"), dir.resolve("no-such.jsonl"));
    Files.createSymbolicLink(folder.resolve("in.jsonl"), folder.resolve("train.jsonl"));
    String spec =
        """
        name: confined
        task: embedding
        base_model: {registry: tiny-base}
        data: {train: %s}
        """;
    java.util.Set<String> answers = new java.util.HashSet<>();
    for (String path :
        java.util.List.of(
            secret.toString(),
            dir.resolve("no-such.jsonl").toString(),
            "../../secret.jsonl",
            "../../no-such.jsonl",
            "out.jsonl",
            "dangling.jsonl")) {
      JobSpecException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              JobSpecException.class,
              () -> JobSpec.parseConfined("job.yaml", spec.formatted(path), folder));
      assertThat(e.problems()).hasSize(1);
      answers.add(e.problems().getFirst().replace(path, "PATH"));
    }
    assertThat(answers)
        .containsExactly(
            "job.yaml: field 'data.train': must name a file uploaded with the job (a relative path"
                + " inside its folder); use registry: MODEL_ID for a model of the trainer");

    assertThat(JobSpec.parseConfined("job.yaml", spec.formatted("in.jsonl"), folder).train())
        .hasValue(folder.resolve("in.jsonl"));
    assertThat(JobSpec.parseConfined("job.yaml", spec.formatted("train.jsonl"), folder).baseModel())
        .isEqualTo(new JobSpec.BaseModel.Registry("tiny-base"));
    // Local use keeps its paths.
    assertThat(JobSpec.parse("job.yaml", spec.formatted(secret), folder).train()).hasValue(secret);
    assertThatThrownBy(
            () ->
                JobSpec.parseConfined(
                    "job.yaml",
                    spec.formatted("train.jsonl").replace("tiny-base", "../models/x"),
                    folder))
        .hasMessageContaining("field 'base_model.registry': expected a model id");
  }

  @Test
  void everyProblemIsReportedWithItsField() {
    assertThatThrownBy(
            () ->
                JobSpec.parse(
                    "spec.yaml",
                    """
                    name: Bad Name
                    task: regression
                    base_model: {huggingface: nowhere}
                    data: {train: missing.jsonl, colour: blue}
                    hyperparameters: {epochs: 0, learning_rate: fast, schedule: cosine, holdout: 1.5}
                    """,
                    dir))
        .isInstanceOfSatisfying(
            JobSpecException.class,
            e ->
                assertThat(e.problems())
                    .anyMatch(p -> p.startsWith("spec.yaml: field 'name': expected 1 to 64"))
                    .anyMatch(
                        p ->
                            p.contains(
                                "field 'task': expected embedding, classifier or distill, was 'regression'"))
                    .anyMatch(p -> p.contains("field 'base_model.huggingface': no such directory"))
                    .anyMatch(p -> p.contains("field 'data.train': no such file"))
                    .anyMatch(p -> p.contains("field 'data.colour': unknown field"))
                    .anyMatch(
                        p ->
                            p.contains(
                                "field 'hyperparameters.epochs': expected a whole number >= 1, was 0"))
                    .anyMatch(
                        p ->
                            p.contains(
                                "field 'hyperparameters.learning_rate': expected a number > 0.0, was fast"))
                    .anyMatch(
                        p ->
                            p.contains(
                                "field 'hyperparameters.schedule': expected linear or constant"))
                    .anyMatch(
                        p ->
                            p.contains(
                                "field 'hyperparameters.holdout': expected a fraction below 1")));
  }

  @Test
  void theLearningRateWarmsUpThenDecaysLinearly() {
    Hyperparameters h =
        Hyperparameters.builder()
            .batchSize(8)
            .learningRate(1e-3)
            .warmupSteps(4)
            .schedule(Hyperparameters.Schedule.LINEAR)
            .build();
    assertThat(h.learningRateAt(0, 20)).isEqualTo(2.5e-4);
    assertThat(h.learningRateAt(3, 20)).isEqualTo(1e-3);
    assertThat(h.learningRateAt(12, 20)).isEqualTo(5e-4);
    assertThat(h.learningRateAt(19, 20)).isEqualTo(6.25e-5);
  }

  @Test
  void aCorpusOfTheEngineIsATagQueryWithSynthesisSettingsSeededByTheHyperparameters() {
    JobSpec s =
        JobSpec.parse(
            "spec.yaml",
            """
            name: from-engine
            task: embedding
            base_model: {packaged: all-minilm-l6-v2}
            data:
              engine: {tags: {department: engineering, classification: [public, internal]}}
              synthetic: {crops: 2, negative_depth: 0}
            hyperparameters: {seed: 9}
            """,
            dir);
    assertThat(s.train()).isEmpty();
    JobSpec.EngineData e = s.engine().orElseThrow();
    assertThat(e.tags())
        .containsEntry("department", java.util.List.of("engineering"))
        .containsEntry("classification", java.util.List.of("public", "internal"));
    assertThat(e.maxPassages()).isEqualTo(JobSpec.EngineData.DEFAULT_MAX_PASSAGES);
    assertThat(e.synthesis())
        .isEqualTo(new dev.anvil.trainer.synth.SynthesisSettings(9, true, true, 2, 3, 0));
  }

  @Test
  void aCorpusOfTheEngineIsRefusedWithEveryProblemNamed() {
    String spec =
        """
        name: from-engine
        task: %s
        base_model: {packaged: all-minilm-l6-v2}
        data:
          %s
        """;
    assertThatThrownBy(
            () ->
                JobSpec.parse(
                    "spec.yaml",
                    spec.formatted(
                        "classifier",
                        "engine: {tags: {department: [], x: {a: 1}}, max_passages: 100001, y: 1}\n"
                            + "  synthetic: {crops: -1, titles: maybe, z: 0}\n"
                            + "  train: t.jsonl"),
                    dir))
        .isInstanceOfSatisfying(
            JobSpecException.class,
            e ->
                assertThat(e.problems())
                    .anyMatch(p -> p.contains("'data.engine.tags.department': expected a value"))
                    .anyMatch(p -> p.contains("'data.engine.tags.x': expected a value"))
                    .anyMatch(
                        p -> p.contains("'data.engine.max_passages': expected at most 100000"))
                    .anyMatch(p -> p.contains("'data.engine.y': unknown field"))
                    .anyMatch(
                        p -> p.contains("'data.synthetic.crops': expected a whole number >= 0"))
                    .anyMatch(p -> p.contains("'data.synthetic.titles': expected true or false"))
                    .anyMatch(p -> p.contains("'data.synthetic.z': unknown field"))
                    .anyMatch(p -> p.contains("'data': give train: FILE or engine"))
                    .anyMatch(p -> p.contains("'data.engine': synthetic pairs train embeddings")));
    assertThatThrownBy(
            () -> JobSpec.parse("spec.yaml", spec.formatted("embedding", "synthetic: {}"), dir))
        .hasMessageContaining("'data.synthetic': only with data.engine");
    assertThatThrownBy(
            () -> JobSpec.parse("spec.yaml", spec.formatted("embedding", "tags: {a: b}"), dir))
        .hasMessageContaining("'data.train': missing: give train: FILE, or engine:");
  }

  @Test
  void whatASpecMayAskOfTheTrainersMemoryIsBounded() {
    String spec =
        """
        name: greedy
        task: embedding
        base_model: {packaged: all-minilm-l6-v2}
        lora: {rank: 100000}
        data:
          engine: {tags: {department: engineering}}
          synthetic: {crops: 2147483647, negative_skip_top: 1001, negative_depth: 1000000}
        """;
    assertThatThrownBy(() -> JobSpec.parse("spec.yaml", spec, dir))
        .isInstanceOfSatisfying(
            JobSpecException.class,
            e ->
                assertThat(e.problems())
                    .contains(
                        "spec.yaml: field 'lora.rank': expected at most 256, was 100000",
                        "spec.yaml: field 'data.synthetic.crops': expected at most 16, was"
                            + " 2147483647",
                        "spec.yaml: field 'data.synthetic.negative_skip_top': expected at most"
                            + " 1000, was 1001",
                        "spec.yaml: field 'data.synthetic.negative_depth': expected at most 1000,"
                            + " was 1000000"));
  }

  @Test
  void aJudgmentsSnapshotIsADataSourceWithDefaults() throws Exception {
    Files.createDirectories(dir.resolve("snap"));
    JobSpec s =
        JobSpec.parse(
            "spec.yaml",
            """
            name: experts
            task: embedding
            base_model: {packaged: all-minilm-l6-v2}
            data:
              judgments: {snapshot: snap}
            """,
            dir);
    JobSpec.JudgmentData j = s.judgments().orElseThrow();
    assertThat(j.snapshot()).isEqualTo(dir.resolve("snap"));
    assertThat(j.split()).isEqualTo("train-minus-dev");
    assertThat(j.minLabel()).isEqualTo(2);
    assertThat(j.negativeMaxLabel()).isZero();
    assertThat(s.train()).isEmpty();
  }

  @Test
  void aJudgmentsSourceIsRefusedTheDevSplitAndBadThresholdsNamingEachField() throws Exception {
    Files.createDirectories(dir.resolve("snap"));
    Files.writeString(dir.resolve("train.jsonl"), "{}\n");
    assertThatThrownBy(
            () ->
                JobSpec.parse(
                    "spec.yaml",
                    """
                    name: experts
                    task: classifier
                    base_model: {packaged: all-minilm-l6-v2}
                    data:
                      train: train.jsonl
                      judgments: {snapshot: snap, split: dev, min_label: 1, negative_max_label: 1, x: 1}
                    """,
                    dir))
        .isInstanceOf(JobSpecException.class)
        .hasMessageContaining("data.judgments.split")
        .hasMessageContaining("the dev split is the expert evaluation set")
        .hasMessageContaining("'data.judgments.negative_max_label': expected below min_label (1)")
        .hasMessageContaining("'data.judgments.x': unknown field")
        .hasMessageContaining("give one of train: FILE, engine: {...} or judgments: {...}")
        .hasMessageContaining("judged pairs train embeddings");
  }

  @Test
  void aConfinedJudgmentsSnapshotMustBeUploadedWithTheSpec() {
    assertThatThrownBy(
            () ->
                JobSpec.parseConfined(
                    "spec.yaml",
                    """
                    name: experts
                    task: embedding
                    base_model: {packaged: all-minilm-l6-v2}
                    data:
                      judgments: {snapshot: ../../etc}
                    """,
                    dir))
        .isInstanceOf(JobSpecException.class)
        .hasMessageContaining("data.judgments.snapshot")
        .hasMessageContaining("must name a file uploaded with the job");
  }
}
