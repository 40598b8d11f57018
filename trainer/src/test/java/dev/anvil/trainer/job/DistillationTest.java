package dev.anvil.trainer.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.modelcard.Pooling;
import dev.anvil.modelcard.Prompts;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.trainer.MiniLm;
import dev.anvil.trainer.TinyModels;
import dev.anvil.trainer.data.Example;
import dev.anvil.trainer.model.BertConfig;
import dev.anvil.trainer.model.BertEncoder;
import dev.anvil.trainer.model.EncoderModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code task: distill}: a student learns to embed as a frozen teacher does, whether it is another
 * model or some of the teacher's own layers (compression); the teacher's pooling is its own; the
 * model card names the teacher and the layers; refusals name the field.
 */
class DistillationTest {
  @RegisterExtension final OpenJobStores stores = new OpenJobStores();

  @TempDir Path dir;

  private final Principal mia =
      PrincipalDirectory.load(TestPacks.example().principalsFile()).find("mia").orElseThrow();

  static String spec(String student, String distill) {
    return """
        name: tiny-distill
        task: distill
        %s
        distill: %s
        data:
          train: pairs.jsonl
        hyperparameters:
          epochs: 4
          batch_size: 8
          learning_rate: 1.0e-3
          warmup_steps: 2
          max_seq_length: 32
          eval_every: 4
          checkpoint_every: 100
          holdout: 0.25
        """
        .formatted(student, distill);
  }

  private JsonObject run(String spec) throws Exception {
    return run(spec, TinyModels.pairs());
  }

  private JsonObject run(String spec, List<Example> pairs) throws Exception {
    TinyModels.write(dir.resolve("pairs.jsonl"), pairs);
    JobStore store = stores.open(dir.resolve("jobs"));
    Job job = store.submit("tiny-distill", spec, dir, mia);
    new JobRunner(store, PolicyStore.open(TestPacks.example()), dir.resolve("models"), Device.cpu())
        .drain();
    JobState end = store.find(job.id()).orElseThrow().state();
    if (!(end instanceof JobState.Succeeded s)) {
      return JsonParser.parseString(
              "{\"failed\": " + new com.google.gson.Gson().toJson(end.toString()) + "}")
          .getAsJsonObject();
    }
    Path model = Path.of(s.model());
    assertThat(model.resolve("model.onnx")).isRegularFile();
    JsonObject card =
        JsonParser.parseString(Files.readString(model.resolve("anvil-model-card.json")))
            .getAsJsonObject();
    card.addProperty("dir", model.toString());
    return card;
  }

  @Test
  void aStudentMadeOfTheTeachersLayersIsTrainedSavedAndNamedByItsCard() throws Exception {
    TinyModels.huggingFaceDir(dir.resolve("teacher"));
    JsonObject card = run(spec("", "{teacher: {huggingface: teacher}, layers: [1], loss: mse}"));
    assertThat(card.has("failed")).as(card.toString()).isFalse();
    assertThat(card.get("task").getAsString()).isEqualTo("distill");
    assertThat(card.get("student_layers_from_teacher").toString()).isEqualTo("[1]");
    // (That a student moves toward its teacher is shown below, where it starts far from it: a
    // random tiny teacher's layers embed almost alike already.)
    assertThat(card.getAsJsonObject("metrics").getAsJsonObject("best").has("teacher_cosine"))
        .isTrue();
    try (EncoderModel student =
        EncoderModel.load(Path.of(card.get("dir").getAsString()), Device.cpu(), 32)) {
      assertThat(student.encoder().config().layers()).isEqualTo(1);
      assertThat(student.pooling()).isEqualTo(Pooling.MEAN);
    }
  }

  @Test
  void anotherStudentLearnsFromATeacherThatPoolsItsOwnWay() throws Exception {
    Path teacher = TinyModels.huggingFaceDir(dir.resolve("teacher"));
    Files.writeString(
        teacher.resolve("1_Pooling/config.json"),
        "{\"pooling_mode_cls_token\": true, \"pooling_mode_mean_tokens\": false}");
    assertThat(EncoderModel.config(teacher).pooling()).isEqualTo(Pooling.CLS);
    try (EncoderModel m =
        EncoderModel.of(
            BertEncoder.random(TinyModels.CONFIG, 99, Device.cpu()), MiniLm.tokenizer(), 64)) {
      m.saveHuggingFace(dir.resolve("student"), Map.of());
    }
    JsonObject card =
        run(spec("base_model: {huggingface: student}", "{teacher: {huggingface: teacher}}"));
    assertThat(card.has("failed")).as(card.toString()).isFalse();
    JsonObject metrics = card.getAsJsonObject("metrics");
    assertThat(metrics.getAsJsonObject("best").get("teacher_cosine").getAsDouble())
        .isGreaterThan(metrics.getAsJsonObject("base").get("teacher_cosine").getAsDouble());
    assertThat(card.getAsJsonObject("teacher").get("layers").getAsInt()).isEqualTo(2);
  }

  @Test
  void mseNeedsAStudentAsWideAsTheTeacherAndMarginMseNeedsNegatives() throws Exception {
    TinyModels.huggingFaceDir(dir.resolve("teacher"));
    BertConfig narrow = new BertConfig(30522, 32, 1, 2, 64, 128, 2, 1e-12);
    try (EncoderModel m =
        EncoderModel.of(BertEncoder.random(narrow, 5, Device.cpu()), MiniLm.tokenizer(), 64)) {
      m.saveHuggingFace(dir.resolve("narrow"), Map.of());
    }
    assertThat(
            run(spec("base_model: {huggingface: narrow}", "{teacher: {huggingface: teacher}}"))
                .get("failed")
                .getAsString())
        .contains("distill.loss mse needs the student as wide as the teacher (32 vs 64)");
    assertThat(
            run(spec("", "{teacher: {huggingface: teacher}, layers: [0], loss: margin_mse}"))
                .get("failed")
                .getAsString())
        .contains("distill.loss margin_mse needs a hard negative in every pair");
  }

  @Test
  void marginMseTeachesANarrowerStudentTheTeachersMarginsAndEvaluatesWithoutNegatives()
      throws Exception {
    TinyModels.huggingFaceDir(dir.resolve("teacher"));
    BertConfig narrow = new BertConfig(30522, 32, 1, 2, 64, 128, 2, 1e-12);
    try (EncoderModel m =
        EncoderModel.of(BertEncoder.random(narrow, 5, Device.cpu()), MiniLm.tokenizer(), 64)) {
      m.saveHuggingFace(dir.resolve("narrow"), Map.of());
    }
    // Each pair's hard negative: the answer of the next pair, a passage on another subject.
    List<Example> plain = TinyModels.pairs();
    List<Example> triples = new java.util.ArrayList<>();
    for (int i = 0; i < plain.size(); i++) {
      Example.Pair p = (Example.Pair) plain.get(i);
      Example.Pair next = (Example.Pair) plain.get((i + 1) % plain.size());
      triples.add(
          new Example.Pair(
              p.where(),
              p.query(),
              p.positive(),
              java.util.Optional.of(next.positive()),
              p.tags()));
    }
    String spec =
        spec(
            "base_model: {huggingface: narrow}",
            "{teacher: {huggingface: teacher}, loss: margin_mse}");
    JsonObject card = run(spec, triples);
    assertThat(card.has("failed")).as(card.toString()).isFalse();
    assertThat(card.get("objective").getAsString()).isEqualTo("MarginMSELoss");
    JsonObject metrics = card.getAsJsonObject("metrics");
    // Narrower than the teacher: its space is its own, so no cosine to the teacher is reported.
    assertThat(metrics.getAsJsonObject("best").has("teacher_cosine")).isFalse();
    assertThat(metrics.getAsJsonObject("best").get("margin_error").getAsDouble())
        .isLessThan(metrics.getAsJsonObject("base").get("margin_error").getAsDouble());

    // Evaluation pairs rank passages: they need no negative, only the training pairs do.
    TinyModels.write(dir.resolve("eval.jsonl"), plain.subList(0, 4));
    JsonObject withEval =
        run(
            spec.replace("holdout: 0.25", "holdout: 0")
                .replace("  train: pairs.jsonl", "  train: pairs.jsonl\n  eval: eval.jsonl"),
            triples);
    assertThat(withEval.has("failed")).as(withEval.toString()).isFalse();

    // With scale_margins the teacher's margins take the student's spread, recorded in the card.
    JsonObject scaled =
        run(spec.replace("loss: margin_mse}", "loss: margin_mse, scale_margins: true}"), triples);
    assertThat(scaled.has("failed")).as(scaled.toString()).isFalse();
    assertThat(scaled.get("teacher_margin_scale").getAsDouble()).isPositive().isNotEqualTo(1.0);
    assertThat(card.get("teacher_margin_scale").getAsDouble()).isEqualTo(1.0);
  }

  @Test
  void allTheTeachersLayersInOrderAreTheTeacherAndAnyOtherChoiceIsNot() throws Exception {
    try (EncoderModel teacher =
            EncoderModel.of(
                BertEncoder.random(TinyModels.CONFIG, 7, Device.cpu()), MiniLm.tokenizer(), 32);
        EncoderModel same = teacher.pruned(List.of(0, 1), Device.cpu());
        EncoderModel swapped = teacher.pruned(List.of(1, 0), Device.cpu())) {
      List<String> texts = List.of("who owns the kernel", "the storage budget");
      float[][] t = teacher.embed(texts, 2);
      float[][] s = same.embed(texts, 2);
      float[][] w = swapped.embed(texts, 2);
      for (int i = 0; i < t.length; i++) {
        for (int j = 0; j < t[i].length; j++) {
          assertThat(s[i][j]).isCloseTo(t[i][j], within(1e-6f));
        }
      }
      assertThat(w[0]).isNotEqualTo(t[0]);
    }
  }

  /** The problems {@code specText} is refused with. */
  private List<String> problems(String specText) {
    return org.assertj.core.api.Assertions.catchThrowableOfType(
            JobSpecException.class, () -> JobSpec.parse("spec.yaml", specText, dir))
        .problems();
  }

  @Test
  void aDistillSpecNamesItsProblems() {
    assertThat(
            problems(
                spec(
                    "base_model: {packaged: all-minilm-l6-v2}",
                    "{teacher: {packaged: x}, layers: [1, 1], loss: kl, what: 1}")))
        .anyMatch(p -> p.contains("'distill.layers': expected distinct layer indexes"))
        .anyMatch(p -> p.contains("'distill.loss': expected mse or margin_mse, was 'kl'"))
        .anyMatch(p -> p.contains("'distill.what': unknown field"));
    assertThat(problems(spec("base_model: {packaged: a}", "{teacher: {packaged: x}, layers: [0]}")))
        .anyMatch(p -> p.contains("'base_model': not with distill.layers"));
    assertThat(
            problems(
                spec("base_model: {packaged: a}", "{teacher: {packaged: x}, scale_margins: true}")))
        .anyMatch(p -> p.contains("'distill.scale_margins': only margin_mse has margins to scale"));
    assertThat(
            problems(
                spec("base_model: {packaged: a}", "{}")
                    .replace("task: distill", "task: embedding")))
        .anyMatch(p -> p.contains("'distill': only with task: distill"));
  }

  @Test
  void theTeacherPromptsItsQueriesAndAStudentOfItsLayersKeepsItsPrompts() throws Exception {
    Path teacher = TinyModels.huggingFaceDir(dir.resolve("teacher"));
    Files.writeString(
        teacher.resolve("config_sentence_transformers.json"),
        "{\"prompts\": {\"query\": \"query: \", \"passage\": \"\"}}");
    try (EncoderModel t = EncoderModel.load(teacher, Device.cpu(), 32)) {
      assertThat(t.prompts()).isEqualTo(new Prompts("query: ", ""));
      Map<String, float[]> v =
          dev.anvil.trainer.train.DistillTask.teach(
              t,
              List.of(
                  new dev.anvil.trainer.data.Example.Pair(
                      "x", "kernel owner", "the kernel", java.util.Optional.empty(), Map.of())));
      float[] prompted = t.embed(List.of("query: kernel owner"), 1)[0];
      float[] plain = t.embed(List.of("kernel owner"), 1)[0];
      for (int i = 0; i < prompted.length; i++) {
        assertThat(v.get("q:kernel owner")[i]).isCloseTo(prompted[i], within(1e-5f));
      }
      assertThat(v.get("q:kernel owner")).isNotEqualTo(plain);
    }
    JsonObject card = run(spec("", "{teacher: {huggingface: teacher}, layers: [0]}"));
    assertThat(card.has("failed")).as(card.toString()).isFalse();
    assertThat(Path.of(card.get("dir").getAsString()).resolve("config_sentence_transformers.json"))
        .content()
        .contains("\"query\": \"query: \"");
  }
}
