package dev.anvil.trainer.job;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.util.cuda.CudaUtils;
import dev.anvil.eval.snapshot.JudgmentSnapshot;
import dev.anvil.eval.snapshot.SnapshotException;
import dev.anvil.modelcard.ModelCard;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.store.Dialect;
import dev.anvil.trainer.data.DatasetException;
import dev.anvil.trainer.data.Datasets;
import dev.anvil.trainer.data.Example;
import dev.anvil.trainer.data.Governance;
import dev.anvil.trainer.data.JudgmentPairs;
import dev.anvil.trainer.data.TrainingDeniedException;
import dev.anvil.trainer.model.EncoderModel;
import dev.anvil.trainer.model.LoraAdapters;
import dev.anvil.trainer.model.ModelFormatException;
import dev.anvil.trainer.model.OnnxExport;
import dev.anvil.trainer.synth.SyntheticDataset;
import dev.anvil.trainer.train.ClassifierTask;
import dev.anvil.trainer.train.EmbeddingTask;
import dev.anvil.trainer.train.Task;
import dev.anvil.trainer.train.TrainingRun;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs jobs, one at a time per device: while it holds the device's lock file, it resumes jobs a
 * killed worker left running (from their last checkpoint), then takes queued jobs oldest first.
 *
 * <p>A job is validated before anything is trained: its data sets are read, every example's tags
 * checked against the tag schema, and the owner's {@code train} permission decided for each; one
 * refused example fails the job, listing the refused ones. A successful job registers its model (a
 * Hugging Face directory with Anvil's model card) under the models directory.
 */
public final class JobRunner {
  private static final Logger LOG = LoggerFactory.getLogger(JobRunner.class);

  /** A model's copy of its synthetic data set's provenance (every source document, versioned). */
  public static final String DATA_PROVENANCE = JobCard.DATA_PROVENANCE;

  private final JobStore store;
  private final PolicyStore policies;
  private final Path models;
  private final BaseModels baseModels;
  private final Device device;
  private final Claims claims;

  private static final AttributeKey<String> JOB = AttributeKey.stringKey("anvil.job");
  private static final AttributeKey<String> TASK = AttributeKey.stringKey("anvil.train.task");
  private static final AttributeKey<String> DEVICE = AttributeKey.stringKey("anvil.train.device");
  private final Tracer tracer;
  private final LongCounter steps;
  private final DoubleHistogram losses;
  private final DoubleHistogram throughput;

  /**
   * @param models where models are registered, one directory each
   * @param device where to train: {@link #defaultDevice()} picks a GPU when the engine has one
   */
  public JobRunner(JobStore store, PolicyStore policies, Path models, Device device) {
    this(store, policies, models, device, GlobalOpenTelemetry.get());
  }

  /**
   * The same, reporting to {@code otel}: a span per job ({@code anvil.train.job}) with its epochs,
   * evaluations and checkpoints, and the metrics {@code anvil.train.steps}, {@code .loss}, {@code
   * .throughput} and, on a GPU, {@code anvil.train.gpu.memory}.
   */
  public JobRunner(
      JobStore store, PolicyStore policies, Path models, Device device, OpenTelemetry otel) {
    this(store, policies, models, device, otel, Claims.defaults());
  }

  /**
   * The same, claiming jobs as {@code claims} says: the worker's name among the replicas sharing
   * the store, and the lease of its claims.
   */
  public JobRunner(
      JobStore store,
      PolicyStore policies,
      Path models,
      Device device,
      OpenTelemetry otel,
      Claims claims) {
    this.claims = Objects.requireNonNull(claims, "claims");
    this.store = store;
    this.policies = policies;
    this.models = models;
    this.baseModels = new BaseModels(models, device);
    this.device = device;
    this.tracer = otel.getTracer("dev.anvil.trainer");
    Meter meter = otel.getMeter("dev.anvil.trainer");
    this.steps =
        meter
            .counterBuilder("anvil.train.steps")
            .setDescription("Optimisation steps taken")
            .build();
    this.losses =
        meter
            .histogramBuilder("anvil.train.loss")
            .setDescription("Training loss of each step")
            .build();
    this.throughput =
        meter
            .histogramBuilder("anvil.train.throughput")
            .setUnit("{example}/s")
            .setDescription("Training examples per second of each step")
            .build();
    if (device.isGpu()) {
      Attributes gpu = Attributes.of(DEVICE, device.toString());
      meter
          .gaugeBuilder("anvil.train.gpu.memory")
          .ofLongs()
          .setUnit("By")
          .setDescription("GPU memory in use on the training device")
          .buildWithCallback(m -> m.record(CudaUtils.getGpuMemory(device).getUsed(), gpu));
    }
  }

  /** The first GPU when the PyTorch engine reports one (a CUDA libtorch), else the CPU. */
  public static Device defaultDevice() {
    return Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
  }

  /**
   * Who a runner claims jobs as, and for how long a claim lasts without a heartbeat.
   *
   * @param worker the name of this runner in the store, unique among the replicas on one store
   *     (default: the host name, which is the pod's name in Kubernetes); a claim still held under
   *     this name when the runner starts was left by a process that died on this machine, and is
   *     taken over at once
   * @param lease how long a claim lasts unless renewed: a job whose worker died is taken over by
   *     another once it has run out; renewed every third of it while the job runs
   */
  public record Claims(String worker, Duration lease) {
    /** The lease unless said otherwise. */
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(60);

    public Claims {
      Objects.requireNonNull(worker, "worker");
      Objects.requireNonNull(lease, "lease");
      if (worker.isBlank() || worker.length() > 200) {
        throw new IllegalArgumentException(
            "a worker is named by 1 to 200 characters, was '" + worker + "'");
      }
      if (lease.toMillis() < 300) {
        throw new IllegalArgumentException("a lease lasts at least 300 ms, was " + lease);
      }
    }

    /** This host's name and {@link #DEFAULT_LEASE}. */
    public static Claims defaults() {
      return new Claims(hostName(), DEFAULT_LEASE);
    }

    private static String hostName() {
      String env = System.getenv("HOSTNAME");
      if (env != null && !env.isBlank()) {
        return env;
      }
      try {
        return java.net.InetAddress.getLocalHost().getHostName();
      } catch (java.net.UnknownHostException e) {
        return "localhost";
      }
    }
  }

  /**
   * Runs jobs until none is left to run. Returns false at once if another worker of this machine
   * holds this device.
   *
   * <p>Each job is claimed in the store first (see {@link JobStore#claim}), so that runners on
   * other machines sharing the store never run it too; while it runs, its claim is renewed, and a
   * claim lost to another runner (this one stalled past its lease) stops it without touching its
   * state.
   */
  public boolean drain() {
    String name =
        device.getDeviceType() + (device.getDeviceId() >= 0 ? "-" + device.getDeviceId() : "");
    String worker = claims.worker() + "/" + name;
    Path lockFile = lockFile(name);
    try (FileChannel ch =
            FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = tryLock(ch)) {
      if (lock == null) {
        return false;
      }
      ScheduledExecutorService heartbeat =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "anvil-train-heartbeat");
                t.setDaemon(true);
                return t;
              });
      try {
        while (true) {
          // Holding the lock, a job still claimed by this worker's name was left by a killed
          // process of this machine: it is claimed again, and resumes.
          Optional<Job> next = store.claim(worker, claims.lease());
          if (next.isEmpty()) {
            return true;
          }
          runClaimed(next.get(), worker, heartbeat);
        }
      } finally {
        heartbeat.shutdownNow();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock " + lockFile, e);
    }
  }

  /**
   * One worker per device of a machine. With the embedded store the job folder is this machine's,
   * so its lock is there; a shared store's job folder may be shared by machines too, so there the
   * lock is in this machine's temporary folder, named by the worker.
   */
  private Path lockFile(String device) {
    return store.store().dialect() == Dialect.H2
        ? store.dir().resolve(".device-" + device + ".lock")
        : Path.of(System.getProperty("java.io.tmpdir"))
            .resolve(
                ".anvil-device-"
                    + claims.worker().replaceAll("[^A-Za-z0-9._-]", "_")
                    + "-"
                    + device
                    + ".lock");
  }

  private void runClaimed(Job job, String worker, ScheduledExecutorService heartbeat) {
    AtomicBoolean lost = new AtomicBoolean();
    long every = Math.max(100, claims.lease().toMillis() / 3);
    ScheduledFuture<?> beat =
        heartbeat.scheduleAtFixedRate(
            () -> {
              try {
                if (!lost.get() && !store.renew(job.id(), worker, claims.lease())) {
                  LOG.warn(
                      "job {}: its claim was taken over by another worker; stopping", job.id());
                  lost.set(true);
                }
              } catch (RuntimeException e) {
                // The store is unreachable: the lease may run out, and then renewing fails too.
                LOG.warn("job {}: cannot renew its claim: {}", job.id(), e.toString());
              }
            },
            every,
            every,
            TimeUnit.MILLISECONDS);
    try {
      run(job, lost::get);
    } finally {
      beat.cancel(false);
      if (!lost.get()) {
        store.release(job.id(), worker);
      }
    }
  }

  private static FileLock tryLock(FileChannel ch) throws IOException {
    try {
      return ch.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException e) {
      return null; // another runner of this JVM has the device
    }
  }

  private void run(Job job, BooleanSupplier lost) {
    String id = job.id();
    Span span =
        tracer
            .spanBuilder("anvil.train.job")
            .setAttribute(JOB, id)
            .setAttribute(DEVICE, device.toString())
            .startSpan();
    try (Scope scope = span.makeCurrent()) {
      runChecked(job, lost);
    } catch (JobSpecException
        | DatasetException
        | TrainingDeniedException
        | ModelFormatException
        | ArithmeticException e) {
      store.setState(id, new JobState.Failed(Instant.now(), e.getMessage()));
    } catch (IOException | RuntimeException | LinkageError e) { // LinkageError: no usable libtorch
      LOG.error("job {} failed", id, e);
      store.setState(id, new JobState.Failed(Instant.now(), e.toString()));
    } finally {
      JobState end = store.find(id).map(Job::state).orElse(null);
      span.setAttribute("anvil.train.state", end == null ? "unknown" : end.label());
      if (end instanceof JobState.Failed f) {
        span.setStatus(StatusCode.ERROR, f.reason());
      }
      span.end();
    }
  }

  private void runChecked(Job job, BooleanSupplier lost) throws IOException {
    String id = job.id();
    if (store.cancelRequested(id)) {
      store.setState(id, new JobState.Cancelled(Instant.now()));
      return;
    }
    boolean resuming = job.state() instanceof JobState.Running;
    store.setState(id, new JobState.Validating(Instant.now()));
    JobSpec spec = store.spec(job);
    Datasets.Kind kind =
        spec.task() == JobSpec.Task.CLASSIFIER ? Datasets.Kind.LABELED : Datasets.Kind.PAIRS;
    PolicySet set = policies.current();
    List<Example> train =
        spec.judgments().isPresent()
            ? judgedPairs(spec.judgments().get(), set)
            : Datasets.read(trainFile(job, spec), kind, spec.defaultTags());
    List<Example> eval =
        spec.eval().map(p -> Datasets.read(p, kind, spec.defaultTags())).orElse(List.of());
    List<Example> all = new ArrayList<>(train);
    all.addAll(eval);
    Governance.Lineage lineage = Governance.check(set, job.owner(), all);
    List<JobSpec.BaseModel> madeFrom = new ArrayList<>(List.of(spec.baseModel()));
    spec.distill()
        .map(JobSpec.Distill::teacher)
        .filter(t -> !madeFrom.contains(t))
        .ifPresent(madeFrom::add);
    for (JobSpec.BaseModel from : madeFrom) {
      Optional<ModelCard> card = baseModels.card(from);
      if (card.isPresent()) {
        // A model made from a model (its base, or its teacher) inherits its lineage too:
        // restricted in, restricted out.
        lineage =
            Governance.derived(set, job.owner(), lineage, card.get().lineage(), card.get().model());
      }
    }
    if (spec.distill().map(JobSpec.Distill::loss).orElse(null) == JobSpec.Distill.Loss.MARGIN_MSE) {
      // Only what it trains on: evaluation ranks passages and needs no negatives.
      Distillation.requireNegatives(train);
    }
    store.log(
        id,
        all.size()
            + " examples checked: "
            + job.owner().subject()
            + " may train on all of them (policy "
            + set.version()
            + ")");
    if (eval.isEmpty() && spec.hyperparameters().holdout() > 0) {
      List<Example> shuffled = new ArrayList<>(train);
      Collections.shuffle(shuffled, new Random(spec.hyperparameters().seed()));
      int held = (int) Math.round(shuffled.size() * spec.hyperparameters().holdout());
      eval = shuffled.subList(0, held);
      train = shuffled.subList(held, shuffled.size());
    }

    int maxLen = spec.hyperparameters().maxSeqLength();
    Distillation.Student distilled =
        spec.distill().isPresent()
            ? Distillation.prepare(
                spec,
                all,
                train,
                m -> baseModels.load(m, maxLen),
                device,
                line -> store.log(id, line))
            : null;
    try (EncoderModel model =
        distilled != null ? distilled.model() : baseModels.load(spec.baseModel(), maxLen)) {
      Task task =
          switch (spec.task()) {
            case EMBEDDING -> new EmbeddingTask(model, spec.hyperparameters().scale());
            case CLASSIFIER ->
                new ClassifierTask(model, labels(all), spec.hyperparameters().seed());
            case DISTILL -> distilled.task();
          };
      spec.lora()
          .ifPresent(
              l ->
                  model
                      .encoder()
                      .attach(
                          LoraAdapters.init(
                              model.encoder().config(),
                              l,
                              spec.hyperparameters().seed(),
                              model.encoder().manager())));
      int total = TrainingRun.totalSteps(train.size(), spec.hyperparameters());
      store.setState(id, new JobState.Running(Instant.now(), 0, total));
      if (resuming) {
        store.log(id, "the worker running this job stopped; resuming from its last checkpoint");
      }
      store.log(
          id,
          "training on "
              + device
              + ": "
              + train.size()
              + " examples, "
              + eval.size()
              + " held out, "
              + total
              + " steps");
      TrainingRun.Result r =
          TrainingRun.run(
              task,
              model,
              train,
              eval,
              spec.hyperparameters(),
              job.dir().resolve("work"),
              listener(id),
              () -> lost.getAsBoolean() || store.cancelRequested(id),
              tracer);
      if (r.cancelled() && lost.getAsBoolean()) {
        return; // another worker runs it now: its state is that worker's to set
      }
      if (r.cancelled()) {
        store.setState(id, new JobState.Cancelled(Instant.now()));
        return;
      }
      Path dir = models.resolve(id);
      Optional<LoraAdapters> adapters = model.encoder().lora();
      if (adapters.isPresent()) {
        // The adapters alone (small), then merged: what is saved and served is an ordinary model.
        adapters.get().save(dir.resolve("adapter"));
        model.encoder().mergeLora();
      }
      model.saveHuggingFace(dir, task.headTensors());
      if (spec.task() != JobSpec.Task.CLASSIFIER) {
        // What the context engine serves (ONNX Runtime); the lineage travels inside the file too.
        Map<String, String> props = new LinkedHashMap<>();
        props.put("anvil.model", id);
        lineage.tags().forEach((tag, v) -> props.put("anvil.lineage." + tag, String.valueOf(v)));
        model.exportOnnx(dir, props);
        store.log(
            id, "exported " + dir.resolve("model.onnx") + " (ONNX opset " + OnnxExport.OPSET + ")");
      }
      JobCard.write(
          dir,
          job,
          spec,
          task,
          r,
          lineage,
          device,
          policies.current().version(),
          train,
          eval,
          adapters);
      store.models(models).register(dir);
      store.setState(id, new JobState.Succeeded(Instant.now(), dir.toString(), r.bestMetrics()));
    }
  }

  private static List<String> labels(List<Example> examples) {
    return examples.stream().map(e -> ((Example.Labeled) e).label()).distinct().sorted().toList();
  }

  private TrainingRun.Listener listener(String id) {
    Attributes job = Attributes.of(JOB, id);
    return new TrainingRun.Listener() {
      @Override
      public void step(int step, int totalSteps, double loss, double lr, double examplesPerSecond) {
        steps.add(1, job);
        losses.record(loss, job);
        throughput.record(examplesPerSecond, job);
        store.event(
            id,
            Map.of(
                "type",
                "step",
                "step",
                step,
                "total_steps",
                totalSteps,
                "loss",
                loss,
                "learning_rate",
                lr,
                "examples_per_second",
                examplesPerSecond));
        store.setState(id, new JobState.Running(Instant.now(), step, totalSteps));
      }

      @Override
      public void evaluated(int step, Map<String, Double> metrics, boolean best) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("type", "eval");
        e.put("step", step);
        e.put("metrics", metrics);
        e.put("best", best);
        store.event(id, e);
      }

      @Override
      public void checkpointed(int step) {
        store.event(id, Map.of("type", "checkpoint", "step", step));
      }

      @Override
      public void resumed(int step) {
        store.log(id, "resumed from the checkpoint of step " + step);
      }
    };
  }

  /** The training pairs: the spec's file, or the synthetic data set made at submission. */
  /** The pairs of a judgments snapshot, read (and its id checked) when the job runs. */
  private static List<Example> judgedPairs(JobSpec.JudgmentData j, PolicySet set) {
    JudgmentSnapshot snapshot;
    try {
      snapshot = JudgmentSnapshot.read(j.snapshot());
    } catch (SnapshotException e) {
      throw new DatasetException(List.of("data.judgments.snapshot: " + e.getMessage()));
    }
    return JudgmentPairs.of(snapshot, j.split(), j.minLabel(), j.negativeMaxLabel(), set.schema());
  }

  static Path trainFile(Job job, JobSpec spec) {
    if (spec.judgments().isPresent()) {
      return spec.judgments().get().snapshot().resolve(JudgmentSnapshot.EXAMPLES);
    }
    return spec.train()
        .orElseGet(() -> job.dir().resolve(JobStore.CORPUS).resolve(SyntheticDataset.PAIRS));
  }
}
