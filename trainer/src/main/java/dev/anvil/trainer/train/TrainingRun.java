package dev.anvil.trainer.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.reflect.TypeToken;
import dev.anvil.trainer.Folders;
import dev.anvil.trainer.data.Example;
import dev.anvil.trainer.model.Autograd;
import dev.anvil.trainer.model.EncoderModel;
import dev.anvil.trainer.model.LoraAdapters;
import dev.anvil.trainer.model.Safetensors;
import dev.anvil.trainer.model.Tensor;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * One training run: steps over shuffled batches, AdamW with warm-up, evaluation every so often,
 * early stopping, and checkpoints of weights, optimizer moments and loop state.
 *
 * <p><b>Same seed, same run, even across a crash.</b> The data order of an epoch and the dropout
 * masks of a step are functions of (seed, epoch) and (seed, step) only, and a checkpoint holds
 * everything else that changes, so a run resumed from a checkpoint takes the same steps as one that
 * was never interrupted. Checkpoints are written to a temporary directory and renamed into place,
 * so a kill leaves either the old or the new one.
 */
public final class TrainingRun {
  /** Checkpoints kept (the newest). */
  static final int KEEP_CHECKPOINTS = 2;

  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

  /** What a run reports as it goes. */
  public interface Listener {
    /** After each step. */
    default void step(
        int step, int totalSteps, double loss, double learningRate, double examplesPerSecond) {}

    /** After each evaluation; {@code best} when it improved on every earlier one. */
    default void evaluated(int step, Map<String, Double> metrics, boolean best) {}

    /** After a checkpoint is durable. */
    default void checkpointed(int step) {}

    /** When a run continues from a checkpoint. */
    default void resumed(int step) {}
  }

  /**
   * How a run ended.
   *
   * @param steps steps taken in all (including those before a resume)
   * @param totalSteps steps planned
   * @param baseMetrics the held-out metrics before training
   * @param bestMetrics the best held-out metrics (the weights left in the model)
   * @param bestStep the step that reached them
   * @param stoppedEarly whether early stopping ended it
   * @param cancelled whether it was cancelled (the weights are then the last checkpoint's)
   * @param firstLoss mean loss of the first steps
   * @param lastLoss mean loss of the last steps
   * @param secondsPerStep mean wall time of a training step (forward, backward, update) in this
   *     process, without evaluations and checkpoints
   */
  public record Result(
      int steps,
      int totalSteps,
      Map<String, Double> baseMetrics,
      Map<String, Double> bestMetrics,
      int bestStep,
      boolean stoppedEarly,
      boolean cancelled,
      double firstLoss,
      double lastLoss,
      double secondsPerStep) {}

  /** Loop state saved in a checkpoint's {@code state.json}. */
  private static final class State {
    int step;
    Map<String, Double> baseMetrics = Map.of();
    Map<String, Double> bestMetrics = Map.of();
    int bestStep;
    int evaluationsWithoutImprovement;
    List<Double> losses = new ArrayList<>();
  }

  private final Task task;
  private final EncoderModel model;
  private final List<Example> train;
  private final List<Example> heldOut;
  private final Hyperparameters hp;
  private final Path work;
  private final Listener listener;
  private final Tracer tracer;
  private final Map<String, NDArray> params = new LinkedHashMap<>();
  private final AdamW optimizer;
  private final int stepsPerEpoch;
  private final int totalSteps;
  private long stepNanos; // this process's steps only: what a resumed run measures is its own
  private int stepsTimed;

  private TrainingRun(
      Task task,
      EncoderModel model,
      List<Example> train,
      List<Example> heldOut,
      Hyperparameters hp,
      Path work,
      Listener listener,
      Tracer tracer) {
    this.task = task;
    this.model = model;
    this.train = train;
    this.heldOut = heldOut;
    this.hp = hp;
    this.work = work;
    this.listener = listener;
    this.tracer = tracer;
    // With LoRA adapters only they learn: the encoder's own weights stay frozen (no gradient).
    params.putAll(
        model.encoder().lora().map(LoraAdapters::weights).orElse(model.encoder().weights()));
    params.putAll(task.headWeights());
    params.values().forEach(p -> p.setRequiresGradient(true));
    this.optimizer = new AdamW(model.encoder().manager(), hp.weightDecay());
    this.stepsPerEpoch = stepsPerEpoch(train.size(), hp);
    this.totalSteps = totalSteps(train.size(), hp);
  }

  /**
   * Trains {@code model} for {@code task} on {@code train}, evaluating on {@code heldOut}, with
   * checkpoints under {@code work}; resumes from the newest checkpoint there if any. Leaves the
   * best weights in the model (the last ones when nothing is held out).
   */
  public static Result run(
      Task task,
      EncoderModel model,
      List<Example> train,
      List<Example> heldOut,
      Hyperparameters hp,
      Path work,
      Listener listener,
      BooleanSupplier cancelled) {
    return run(
        task,
        model,
        train,
        heldOut,
        hp,
        work,
        listener,
        cancelled,
        OpenTelemetry.noop().getTracer("dev.anvil.trainer"));
  }

  /**
   * The same, with a span per epoch ({@code anvil.train.epoch}), evaluation ({@code
   * anvil.train.evaluate}) and checkpoint ({@code anvil.train.checkpoint}) under the current span.
   */
  public static Result run(
      Task task,
      EncoderModel model,
      List<Example> train,
      List<Example> heldOut,
      Hyperparameters hp,
      Path work,
      Listener listener,
      BooleanSupplier cancelled,
      Tracer tracer) {
    return new TrainingRun(task, model, train, heldOut, hp, work, listener, tracer).loop(cancelled);
  }

  static final AttributeKey<Long> EPOCH = AttributeKey.longKey("anvil.train.epoch");
  static final AttributeKey<Long> STEP = AttributeKey.longKey("anvil.train.step");

  /** Runs {@code body} in a child span of the current one, which it returns from. */
  private <T> T traced(String name, int step, Supplier<T> body) {
    Span span = tracer.spanBuilder(name).setAttribute(STEP, (long) step).startSpan();
    try (Scope scope = span.makeCurrent()) {
      return body.get();
    } catch (RuntimeException e) {
      span.recordException(e);
      throw e;
    } finally {
      span.end();
    }
  }

  private Map<String, Double> evaluate(int step) {
    return traced(
        "anvil.train.evaluate",
        step,
        () -> {
          Map<String, Double> metrics = task.evaluate(heldOut);
          metrics.forEach((k, v) -> Span.current().setAttribute("anvil.train.metric." + k, v));
          return metrics;
        });
  }

  private static int stepsPerEpoch(int examples, Hyperparameters hp) {
    return (examples + hp.batchSize() - 1) / hp.batchSize(); // the last batch may be smaller
  }

  /** The steps a run over {@code examples} training examples takes (without early stopping). */
  public static int totalSteps(int examples, Hyperparameters hp) {
    return hp.epochs() * stepsPerEpoch(examples, hp);
  }

  /** The newest complete checkpoint under a work directory. */
  public static Optional<Path> latestCheckpoint(Path work) {
    Path dir = work.resolve("checkpoints");
    if (!Files.isDirectory(dir)) {
      return Optional.empty();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith("step-"))
          .max(Comparator.comparing(p -> p.getFileName().toString()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Result loop(BooleanSupplier cancelled) {
    Autograd.offForThisThread();
    State s = new State();
    Optional<Path> checkpoint = latestCheckpoint(work);
    if (checkpoint.isPresent()) {
      s = restore(checkpoint.get());
      listener.resumed(s.step);
    } else if (!heldOut.isEmpty()) {
      s.baseMetrics = evaluate(0);
      s.bestMetrics = s.baseMetrics;
      saveBest(0);
      listener.evaluated(0, s.baseMetrics, true);
    }
    boolean stoppedEarly = false;
    List<Example> order = null;
    int orderEpoch = -1;
    Span epochSpan = Span.getInvalid();
    try {
      while (s.step < totalSteps) {
        if (cancelled.getAsBoolean()) {
          return result(s, false, true);
        }
        int epoch = s.step / stepsPerEpoch;
        if (epoch != orderEpoch) {
          order = new ArrayList<>(train);
          Collections.shuffle(order, new Random(hp.seed() * 7919 + epoch));
          orderEpoch = epoch;
          epochSpan.end();
          epochSpan =
              tracer
                  .spanBuilder("anvil.train.epoch")
                  .setAttribute(EPOCH, epoch + 1L)
                  .setAttribute(STEP, (long) s.step)
                  .startSpan();
        }
        try (Scope scope = epochSpan.makeCurrent()) {
          stoppedEarly = stepOnce(s, order);
        }
        if (stoppedEarly) {
          break;
        }
      }
    } finally {
      epochSpan.end();
    }
    if (!heldOut.isEmpty()) {
      load(Safetensors.read(bestDir(s.bestStep).resolve("weights.safetensors")));
    }
    return result(s, stoppedEarly, false);
  }

  /** One step of the loop, with its evaluation and checkpoint when due; true to stop early. */
  private boolean stepOnce(State s, List<Example> order) {
    boolean stoppedEarly = false;
    int from = (s.step % stepsPerEpoch) * hp.batchSize();
    List<Example> batch = order.subList(from, Math.min(order.size(), from + hp.batchSize()));
    double lr = hp.learningRateAt(s.step, totalSteps);
    long t0 = System.nanoTime();
    double loss = step(batch, lr, s.step);
    stepNanos += System.nanoTime() - t0;
    stepsTimed++;
    s.losses.add(loss);
    s.step++;
    listener.step(s.step, totalSteps, loss, lr, batch.size() / ((System.nanoTime() - t0) / 1e9));

    if (!heldOut.isEmpty() && (s.step % hp.evalEvery() == 0 || s.step == totalSteps)) {
      Map<String, Double> metrics = evaluate(s.step);
      boolean better = metrics.get(task.metric()) > s.bestMetrics.getOrDefault(task.metric(), -1.0);
      if (better) {
        s.bestMetrics = metrics;
        s.bestStep = s.step;
        s.evaluationsWithoutImprovement = 0;
        saveBest(s.step);
      } else {
        s.evaluationsWithoutImprovement++;
      }
      listener.evaluated(s.step, metrics, better);
      stoppedEarly = hp.patience() > 0 && s.evaluationsWithoutImprovement >= hp.patience();
    }
    if (s.step % hp.checkpointEvery() == 0 || s.step == totalSteps || stoppedEarly) {
      traced(
          "anvil.train.checkpoint",
          s.step,
          () -> {
            checkpoint(s);
            return null;
          });
      listener.checkpointed(s.step);
    }
    return stoppedEarly;
  }

  private Result result(State s, boolean stoppedEarly, boolean cancelled) {
    int n = Math.min(5, s.losses.size());
    double first =
        s.losses.stream().limit(n).mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    double last =
        s.losses.stream()
            .skip(s.losses.size() - n)
            .mapToDouble(Double::doubleValue)
            .average()
            .orElse(Double.NaN);
    return new Result(
        s.step,
        totalSteps,
        s.baseMetrics,
        s.bestMetrics,
        s.bestStep,
        stoppedEarly,
        cancelled,
        first,
        last,
        stepsTimed == 0 ? Double.NaN : stepNanos / 1e9 / stepsTimed);
  }

  /** One optimisation step; returns the batch's loss. */
  private double step(List<Example> batch, double lr, int step) {
    // Dropout masks depend on (seed, step) only, so a resumed run draws the same ones.
    Engine.getInstance().setRandomSeed((int) (hp.seed() * 1_000_003L + step));
    try (NDScope scope = new NDScope();
        NDManager m = model.encoder().manager().newSubManager()) {
      double value;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray loss = task.loss(batch, m);
        collector.backward(loss);
        value = loss.getFloat();
      }
      if (!Double.isFinite(value)) {
        throw new ArithmeticException(
            "the loss is " + value + " at step " + (step + 1) + "; lower the learning rate");
      }
      // Outside the collector: in-place updates of the weights are not recorded.
      Gradients.clip(params, hp.maxGradNorm(), step + 1);
      optimizer.step(params, lr);
      Gradients.zero(params);
      return value;
    }
  }

  /** What is learned (and so checkpointed): the encoder's weights or its adapters, the head. */
  private Map<String, Tensor> weights() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    params.forEach((n, a) -> out.put(n, new Tensor(a.getShape().getShape(), a.toFloatArray())));
    return out;
  }

  private void load(Map<String, Tensor> tensors) {
    tensors.forEach(
        (name, t) -> {
          NDArray p = params.get(name);
          if (p == null) {
            throw new IllegalStateException("checkpoint has unknown weight " + name);
          }
          p.set(FloatBuffer.wrap(t.data()));
        });
  }

  private Path bestDir(int step) {
    return work.resolve("best").resolve(String.format("step-%07d", step));
  }

  /** Keeps the weights of a new best; older bests go once a checkpoint no longer names them. */
  private void saveBest(int step) {
    writeAtomically(
        bestDir(step), tmp -> Safetensors.write(tmp.resolve("weights.safetensors"), weights()));
  }

  private void checkpoint(State s) {
    Path dir = work.resolve("checkpoints").resolve(String.format("step-%07d", s.step));
    writeAtomically(
        dir,
        tmp -> {
          Safetensors.write(tmp.resolve("weights.safetensors"), weights());
          Safetensors.write(tmp.resolve("optimizer.safetensors"), optimizer.state());
          Files.writeString(tmp.resolve("state.json"), GSON.toJson(s));
        });
    try (Stream<Path> old = Files.list(dir.getParent())) {
      List<Path> all =
          old.filter(p -> p.getFileName().toString().startsWith("step-")).sorted().toList();
      for (Path p : all.subList(0, Math.max(0, all.size() - KEEP_CHECKPOINTS))) {
        Folders.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prune checkpoints in " + dir.getParent(), e);
    }
    if (Files.isDirectory(work.resolve("best"))) {
      try (Stream<Path> bests = Files.list(work.resolve("best"))) {
        for (Path p : bests.filter(p -> !p.equals(bestDir(s.bestStep))).toList()) {
          if (p.getFileName().toString().compareTo(bestDir(s.bestStep).getFileName().toString())
              < 0) {
            Folders.delete(p); // only older ones: a newer best may not be checkpointed yet
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot prune " + work.resolve("best"), e);
      }
    }
  }

  private State restore(Path dir) {
    try {
      State s =
          GSON.fromJson(
              Files.readString(dir.resolve("state.json")), new TypeToken<State>() {}.getType());
      load(Safetensors.read(dir.resolve("weights.safetensors")));
      optimizer.restore(Safetensors.read(dir.resolve("optimizer.safetensors")), s.step);
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoint " + dir, e);
    }
  }

  private interface Writer {
    void write(Path tmp) throws IOException;
  }

  private static void writeAtomically(Path dir, Writer writer) {
    Path tmp = dir.resolveSibling(".tmp-" + dir.getFileName());
    try {
      Folders.delete(tmp);
      Files.createDirectories(tmp);
      writer.write(tmp);
      Folders.delete(dir);
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dir, e);
    }
  }
}
