package dev.anvil.trainer.job;

import dev.anvil.rbac.input.PairSafeReader;
import dev.anvil.trainer.model.LoraAdapters;
import dev.anvil.trainer.synth.SynthesisSettings;
import dev.anvil.trainer.train.Hyperparameters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * A fine-tuning job, as written in YAML:
 *
 * <pre>{@code
 * name: support-embeddings
 * task: embedding                  # or classifier, or distill (see below)
 * owner: mia                       # optional: `anvil train submit --as` or the token decides
 * base_model:
 *   huggingface: models/minilm     # config.json, model.safetensors, tokenizer.json
 *   # or: onnx: model.onnx, tokenizer: tokenizer.json;  or: packaged: all-minilm-l6-v2
 *   # or: registry: MODEL_ID       # a model of the trainer's registry (read_model on its card)
 * data:
 *   train: data/train.jsonl
 *   eval: data/dev.jsonl           # optional; else `holdout` of train is held out
 *   tags: {classification: internal, department: [engineering]}   # for untagged examples
 *   # or, instead of train: the context engine's documents the owner may train on, made into
 *   # synthetic pairs when the job is submitted (embedding only)
 *   engine:
 *     tags: {department: [engineering]}   # each tag one of its values; {} or none: every document
 *     max_passages: 20000                 # refused if the corpus holds more (at most 100000)
 *   synthetic:                     # how pairs are made (seed: the hyperparameters' seed)
 *     titles: true                 # title -> passage
 *     inverse_cloze: true          # a sentence taken out -> the rest of its passage
 *     crops: 1                     # random span -> another span, per passage (at most 16)
 *     negative_skip_top: 3         # BM25 ranks skipped before a hard negative is drawn
 *     negative_depth: 30           # ranks after those it is drawn from (0: none; at most 1000)
 *   # or, instead of train: a snapshot of experts' final judgments (anvil judge snapshot)
 *   judgments:
 *     snapshot: snapshots/kernel   # the folder the snapshot was written to
 *     split: train-minus-dev       # or all (when the gate's expert set is another snapshot)
 *     min_label: 2                 # a positive: a chunk judged at least this relevant
 *     negative_max_label: 0        # a hard negative: judged at most this, for the same query
 * lora:                            # optional: train low-rank adapters only (base frozen)
 *   rank: 8                        # at most 256
 *   alpha: 16
 *   dropout: 0.1
 *   targets: [query, value]        # or key, attention.output.dense, intermediate.dense, ...
 * distill:                         # task: distill only
 *   teacher: {packaged: bge-small-en-v1.5}   # any of base_model's forms; frozen
 *   layers: [0, 4, 8, 11]          # optional: the student is these teacher layers (no base_model)
 *   loss: mse                      # or margin_mse (needs hard negatives)
 * hyperparameters:
 *   epochs: 1
 *   batch_size: 16
 *   learning_rate: 2.0e-5
 *   warmup_steps: 10
 *   schedule: linear               # or constant
 *   weight_decay: 0.01
 *   max_seq_length: 128
 *   seed: 42
 *   eval_every: 50
 *   checkpoint_every: 50
 *   early_stopping_patience: 0     # evaluations without improvement; 0 = never stop early
 *   holdout: 0.1
 *   scale: 20                      # embedding only
 *   max_grad_norm: 1.0
 * }</pre>
 *
 * Relative paths are relative to the spec file. Every hyperparameter has the default shown.
 *
 * <p>A spec submitted to a trainer service is <em>confined</em> ({@link #parseConfined}): its paths
 * may name only files uploaded with it (relative, inside its folder, symbolic links included), and
 * a base model comes from the registry by id or is packaged. A path outside is refused with the
 * same words whether it exists or not.
 */
public record JobSpec(
    String name,
    Task task,
    Optional<String> owner,
    BaseModel baseModel,
    Optional<Distill> distill,
    Optional<LoraAdapters.Settings> lora,
    Optional<Path> train,
    Optional<EngineData> engine,
    Optional<JudgmentData> judgments,
    Optional<Path> eval,
    Map<String, Object> defaultTags,
    Hyperparameters hyperparameters) {

  /** What the job trains. */
  public enum Task {
    EMBEDDING,
    CLASSIFIER,
    /** An embedding model taught by a bigger one (the teacher) on the job's texts. */
    DISTILL
  }

  /**
   * What a {@code task: distill} job learns from.
   *
   * @param teacher the bigger embedding model, frozen; its pooling comes from its directory
   * @param layers if not empty, the student is these layers of the teacher (and the job names no
   *     base model); else the student is the base model
   * @param loss what the student matches
   * @param scaleMargins with MarginMSE, give the teacher's margins the student's spread first
   *     ({@code scale_margins}; see {@code DistillTask.marginScale})
   */
  public record Distill(BaseModel teacher, List<Integer> layers, Loss loss, boolean scaleMargins) {
    /** What the student matches. */
    public enum Loss {
      /** The teacher's embedding of every query and passage (needs only text). */
      MSE,
      /** The teacher's margin between each query's positive and its hard negative. */
      MARGIN_MSE
    }
  }

  /**
   * A corpus of the context engine, read for the job's owner when the job is submitted and made
   * into synthetic pairs.
   *
   * @param tags each tag one of its values, all tags together; empty: every document the owner may
   *     train on
   * @param maxPassages the job is refused if the corpus holds more
   * @param synthesis how pairs are made from it
   */
  public record EngineData(
      Map<String, List<String>> tags, int maxPassages, SynthesisSettings synthesis) {
    /** {@code max_passages} unless the spec says otherwise. */
    public static final int DEFAULT_MAX_PASSAGES = 20_000;

    public EngineData {
      tags = Map.copyOf(tags);
    }
  }

  /**
   * A snapshot of experts' final judgments to train on (embedding only): for each query, pairs of a
   * chunk judged relevant and one judged irrelevant for the same query (a hard negative: the engine
   * returned it).
   *
   * @param snapshot the snapshot's folder
   * @param split {@code train-minus-dev} (its queries outside the expert evaluation split) or
   *     {@code all}
   * @param minLabel a positive is judged at least this (1 to 3)
   * @param negativeMaxLabel a hard negative is judged at most this (below {@code minLabel})
   */
  public record JudgmentData(Path snapshot, String split, int minLabel, int negativeMaxLabel) {
    /** {@code min_label} unless the spec says otherwise: relevant or perfectly relevant. */
    public static final int DEFAULT_MIN_LABEL = 2;

    /** {@code negative_max_label} unless the spec says otherwise: judged irrelevant. */
    public static final int DEFAULT_NEGATIVE_MAX_LABEL = 0;
  }

  /** Where the pretrained weights come from. */
  public sealed interface BaseModel {
    /** The model as a spec names it, e.g. {@code packaged: bge-small-en-v1.5}: what cards say. */
    default String describe() {
      return switch (this) {
        case Packaged p -> "packaged: " + p.name();
        case Registry r -> "registry: " + r.id();
        case HuggingFace h -> "huggingface: " + h.dir();
        case Onnx o -> "onnx: " + o.file();
      };
    }

    /** A Hugging Face model directory. */
    record HuggingFace(Path dir) implements BaseModel {}

    /** An ONNX export of a BERT-family encoder and its tokenizer. */
    record Onnx(Path file, Path tokenizer) implements BaseModel {}

    /** A model packaged with Anvil (on the class path), e.g. {@code all-minilm-l6-v2}. */
    record Packaged(String name) implements BaseModel {}

    /** A model of the trainer's registry, by id (its card's lineage travels to the new model). */
    record Registry(String id) implements BaseModel {}
  }

  private static final Set<String> TOP =
      Set.of("name", "task", "owner", "base_model", "distill", "lora", "data", "hyperparameters");
  private static final Set<String> DATA =
      Set.of("train", "eval", "tags", "engine", "synthetic", "judgments");
  private static final Map<String, Object> DEFAULTS = new LinkedHashMap<>();

  static {
    // The builder's defaults are the spec's: defined once.
    Hyperparameters d = Hyperparameters.builder().build();
    DEFAULTS.put("epochs", d.epochs());
    DEFAULTS.put("batch_size", d.batchSize());
    DEFAULTS.put("learning_rate", d.learningRate());
    DEFAULTS.put("warmup_steps", d.warmupSteps());
    DEFAULTS.put("schedule", d.schedule().name().toLowerCase(Locale.ROOT));
    DEFAULTS.put("weight_decay", d.weightDecay());
    DEFAULTS.put("max_seq_length", d.maxSeqLength());
    DEFAULTS.put("seed", d.seed());
    DEFAULTS.put("eval_every", d.evalEvery());
    DEFAULTS.put("checkpoint_every", d.checkpointEvery());
    DEFAULTS.put("early_stopping_patience", d.patience());
    DEFAULTS.put("holdout", d.holdout());
    DEFAULTS.put("scale", d.scale());
    DEFAULTS.put("max_grad_norm", d.maxGradNorm());
  }

  /** Reads a spec file; all problems are reported together, each naming its field. */
  public static JobSpec read(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new JobSpecException(List.of(file + ": cannot read: " + e.getMessage()));
    }
    return parse(file.toString(), text, file.toAbsolutePath().getParent());
  }

  /** Parses spec text; relative paths are resolved against {@code base}. */
  public static JobSpec parse(String where, String yaml, Path base) {
    return parse(where, yaml, base, false);
  }

  /**
   * Parses a spec whose paths must stay inside {@code folder} (the files uploaded with it): an
   * absolute path, {@code ..}, or a symbolic link out is refused, without saying whether the path
   * exists; a base model must be {@code registry} or {@code packaged}, or uploaded.
   */
  public static JobSpec parseConfined(String where, String yaml, Path folder) {
    return parse(where, yaml, folder, true);
  }

  private static JobSpec parse(String where, String yaml, Path base, boolean confined) {
    Object root;
    try {
      root =
          new Load(LoadSettings.builder().setLabel(where).build())
              .loadFromReader(new PairSafeReader(yaml));
    } catch (YamlEngineException e) {
      throw new JobSpecException(List.of(where + ": not valid YAML: " + e.getMessage()));
    }
    SpecFields f = new SpecFields(where);
    Map<String, Object> top = f.map(root, "");
    f.unknown(top, TOP, "");
    String name = f.text(top, "name", null);
    if (name != null && !name.matches("[a-z0-9][a-z0-9._-]{0,63}")) {
      f.problem(
          "name",
          "expected 1 to 64 of a-z, 0-9, '.', '_', '-' (it names the model), was '" + name + "'");
    }
    String task = f.text(top, "task", null);
    Task t = null;
    if (task != null) {
      try {
        t = Task.valueOf(task.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        f.problem("task", "expected embedding, classifier or distill, was '" + task + "'");
      }
    }
    Optional<String> owner =
        Optional.ofNullable(top.containsKey("owner") ? f.text(top, "owner", null) : null);
    SpecPaths paths = new SpecPaths(f, base, confined);
    Optional<Distill> distill = Optional.empty();
    if (t == Task.DISTILL) {
      distill = Optional.of(SpecSections.distill(f, f.map(top.get("distill"), "distill"), paths));
    } else if (top.containsKey("distill")) {
      f.problem("distill", "only with task: distill");
    }
    BaseModel model;
    if (distill.isPresent() && !distill.get().layers().isEmpty()) {
      // The student starts as some of the teacher's layers: the teacher is its base model.
      model = distill.get().teacher();
      if (top.containsKey("base_model")) {
        f.problem("base_model", "not with distill.layers: the student is made of the teacher's");
      }
    } else {
      model = baseModel(f, f.map(top.get("base_model"), "base_model"), paths, "base_model");
    }
    Map<String, Object> data = f.map(top.get("data"), "data");
    f.unknown(data, DATA, "data.");
    Optional<Path> train = Optional.empty();
    if (data.containsKey("train")) {
      train = Optional.ofNullable(paths.file("data.train", f.text(data, "train", "data.")));
    }
    Hyperparameters hp =
        hyperparameters(
            f,
            top.containsKey("hyperparameters")
                ? f.map(top.get("hyperparameters"), "hyperparameters")
                : Map.of());
    Optional<EngineData> engine = Optional.empty();
    if (data.containsKey("engine")) {
      engine = Optional.of(SpecSections.engineData(f, data, hp == null ? 0 : hp.seed()));
      if (data.containsKey("train")) {
        f.problem("data", "give train: FILE or engine: {tags: ...}, not both");
      }
      if (t == Task.CLASSIFIER) {
        f.problem("data.engine", "synthetic pairs train embeddings, not a classifier");
      }
    } else if (data.containsKey("synthetic")) {
      f.problem("data.synthetic", "only with data.engine: pairs are made from its corpus");
    } else if (!data.containsKey("train") && !data.containsKey("judgments")) {
      f.problem(
          "data.train",
          "missing: give train: FILE, or engine: {tags: ...} for the context engine's documents,"
              + " or judgments: {snapshot: DIR} for experts' final labels");
    }
    Optional<JudgmentData> judgments = Optional.empty();
    if (data.containsKey("judgments")) {
      judgments = Optional.ofNullable(SpecSections.judgments(f, data, paths));
      if (data.containsKey("train") || data.containsKey("engine")) {
        f.problem("data", "give one of train: FILE, engine: {...} or judgments: {...}");
      }
      if (t != null && t != Task.EMBEDDING) {
        f.problem("data.judgments", "judged pairs train embeddings (task: embedding)");
      }
    }
    Optional<Path> eval = Optional.empty();
    if (data.containsKey("eval")) {
      eval = Optional.ofNullable(paths.file("data.eval", f.text(data, "eval", "data.")));
    }
    Map<String, Object> tags =
        data.containsKey("tags") ? f.map(data.get("tags"), "data.tags") : Map.of();
    Optional<LoraAdapters.Settings> lora =
        top.containsKey("lora")
            ? Optional.ofNullable(SpecSections.lora(f, f.map(top.get("lora"), "lora")))
            : Optional.empty();
    f.throwIfAny();
    return new JobSpec(
        name, t, owner, model, distill, lora, train, engine, judgments, eval, Map.copyOf(tags), hp);
  }

  static BaseModel baseModel(SpecFields f, Map<String, Object> m, SpecPaths paths, String field) {
    String p = field + ".";
    if (m.containsKey("huggingface")) {
      return new BaseModel.HuggingFace(
          paths.directory(p + "huggingface", f.text(m, "huggingface", p)));
    }
    if (m.containsKey("onnx")) {
      Path file = paths.file(p + "onnx", f.text(m, "onnx", p));
      String tok = f.text(m, "tokenizer", p);
      return new BaseModel.Onnx(file, tok == null ? null : paths.file(p + "tokenizer", tok));
    }
    if (m.containsKey("packaged")) {
      return new BaseModel.Packaged(f.text(m, "packaged", p));
    }
    if (m.containsKey("registry")) {
      String id = f.text(m, "registry", p);
      if (id != null && !id.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,199}")) {
        f.problem(p + "registry", "expected a model id, was '" + id + "'");
      }
      return new BaseModel.Registry(id);
    }
    f.problem(
        field,
        "expected one of huggingface: DIR, onnx: FILE (with tokenizer: FILE), packaged: NAME,"
            + " registry: MODEL_ID");
    return null;
  }

  /** The hyperparameters, or null when a problem was found (the spec is refused with them). */
  private static Hyperparameters hyperparameters(SpecFields f, Map<String, Object> given) {
    int problemsBefore = f.problemCount();
    f.unknown(given, DEFAULTS.keySet(), "hyperparameters.");
    Map<String, Object> h = new LinkedHashMap<>(DEFAULTS);
    h.putAll(given);
    int epochs = f.integer(h, "epochs", 1);
    int batch = f.integer(h, "batch_size", 1);
    double lr = f.number(h, "learning_rate", 0, false);
    int warmup = f.integer(h, "warmup_steps", 0);
    Hyperparameters.Schedule schedule = Hyperparameters.Schedule.LINEAR;
    String s = String.valueOf(h.get("schedule"));
    try {
      schedule = Hyperparameters.Schedule.valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      f.problem("hyperparameters.schedule", "expected linear or constant, was '" + s + "'");
    }
    double wd = f.number(h, "weight_decay", 0, true);
    int maxLen = f.integer(h, "max_seq_length", 8);
    long seed = f.integer(h, "seed", 0);
    int evalEvery = f.integer(h, "eval_every", 1);
    int checkpointEvery = f.integer(h, "checkpoint_every", 1);
    int patience = f.integer(h, "early_stopping_patience", 0);
    double holdout = f.number(h, "holdout", 0, true);
    if (holdout >= 1) {
      f.problem("hyperparameters.holdout", "expected a fraction below 1, was " + holdout);
    }
    double scale = f.number(h, "scale", 0, false);
    double clip = f.number(h, "max_grad_norm", 0, false);
    if (f.problemCount() > problemsBefore) {
      return null;
    }
    return Hyperparameters.builder()
        .epochs(epochs)
        .batchSize(batch)
        .learningRate(lr)
        .warmupSteps(warmup)
        .schedule(schedule)
        .weightDecay(wd)
        .maxSeqLength(maxLen)
        .seed(seed)
        .evalEvery(evalEvery)
        .checkpointEvery(checkpointEvery)
        .patience(patience)
        .holdout(holdout)
        .scale(scale)
        .maxGradNorm(clip)
        .build();
  }
}
