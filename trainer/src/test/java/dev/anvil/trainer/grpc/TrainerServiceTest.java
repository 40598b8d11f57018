package dev.anvil.trainer.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rpc.GrpcServer;
import dev.anvil.trainer.TinyModels;
import dev.anvil.trainer.job.JobEvent;
import dev.anvil.trainer.job.JobRunner;
import dev.anvil.trainer.job.JobState;
import dev.anvil.trainer.job.JobStore;
import dev.anvil.trainer.job.OpenJobStores;
import dev.anvil.trainer.service.JobView;
import dev.anvil.trainer.service.LocalTrainer;
import dev.anvil.trainer.service.ModelInfo;
import dev.anvil.trainer.service.Submission;
import dev.anvil.trainer.service.TrainerException;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TrainerService over a real socket on 127.0.0.1 with real tokens: who may submit, see, cancel
 * and promote, a job's events streamed to its end, and refusals that name their reason.
 */
class TrainerServiceTest {
  @RegisterExtension static final OpenJobStores stores = OpenJobStores.perClass();

  static final Map<String, Object> ENGINEERING =
      Map.of("classification", "internal", "department", List.of("engineering"));

  @TempDir static Path dir;
  static GrpcServer server;
  static DevTokenIssuer issuer;
  static PrincipalDirectory people;
  static JobStore store;
  static JobRunner runner;
  static Path spec;

  @BeforeAll
  static void start() throws Exception {
    people = PrincipalDirectory.load(TestPacks.example().principalsFile());
    PolicyStore policies = PolicyStore.open(TestPacks.example());
    store = stores.open(dir.resolve("jobs"));
    Path models = dir.resolve("models");
    runner = new JobRunner(store, policies, models, Device.cpu());
    issuer = DevTokenIssuer.openOrCreate(dir.resolve("dev-key.json"), Clock.systemUTC());
    server =
        TrainerServer.start(
            "127.0.0.1",
            0,
            who -> new LocalTrainer(store, policies, models, Optional.empty(), who),
            issuer.verifier(),
            OpenTelemetry.noop());
    // Remote callers name base models by registry id; an operator placed this one.
    TinyModels.registeredBase(models, "tiny-base", ENGINEERING);
    Path client = Files.createDirectories(dir.resolve("client"));
    TinyModels.write(client.resolve("pairs.jsonl"), TinyModels.pairs());
    spec =
        Files.writeString(
            client.resolve("job.yaml"),
            """
            name: tiny
            task: embedding
            base_model:
              registry: tiny-base
            data:
              train: pairs.jsonl
            hyperparameters:
              batch_size: 8
              max_seq_length: 32
              eval_every: 2
              checkpoint_every: 100
              holdout: 0.25
            """);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static TrainerClient as(String who) {
    String token = issuer.mint(people.find(who).orElseThrow(), "test", Duration.ofMinutes(5));
    return TrainerClient.connect("127.0.0.1", server.port(), () -> token, Duration.ofSeconds(30));
  }

  @Test
  void aJobSubmittedOverGrpcStreamsItsEventsToTheEndAndRegistersItsModel() throws Exception {
    try (TrainerClient mia = as("mia");
        TrainerClient alice = as("alice");
        TrainerClient sam = as("sam")) {
      JobView job = mia.submit(Submission.upload(spec));
      assertThat(job.owner()).isEqualTo("mia");
      assertThat(job.state()).isInstanceOf(JobState.Queued.class);
      // The data travelled with the spec: the job reads its own copy.
      assertThat(store.dir().resolve(job.id()).resolve("input/pairs.jsonl")).exists();

      Thread worker = Thread.ofPlatform().start(runner::drain);
      List<JobEvent> events = new ArrayList<>();
      JobView end = mia.follow(job.id(), 0, events::add);
      worker.join();

      assertThat(end.state()).isInstanceOf(JobState.Succeeded.class);
      assertThat(events).extracting(JobEvent::sequence).isSorted().doesNotHaveDuplicates();
      assertThat(events)
          .filteredOn(e -> e instanceof JobEvent.StateChanged)
          .map(e -> ((JobEvent.StateChanged) e).state())
          .containsSubsequence("queued", "validating", "running", "succeeded");
      assertThat(events).anyMatch(e -> e instanceof JobEvent.Step s && s.loss() > 0);
      assertThat(events).anyMatch(e -> e instanceof JobEvent.Evaluation);
      // Resuming after the last seen event gives nothing twice.
      long last = events.getLast().sequence();
      assertThat(mia.events(job.id(), last + 1)).isEmpty();
      assertThat(mia.events(job.id(), 0)).hasSameSizeAs(events);

      String model = ((JobState.Succeeded) end.state()).model();
      ModelInfo info = mia.model(Path.of(model).getFileName().toString());
      assertThat(info.onnx()).isTrue();
      assertThat(info.owner()).isEqualTo("mia");
      assertThat(info.lineage()).containsEntry("classification", "internal");

      // Jobs are their owner's (and admins'); models go by read_model on their lineage.
      assertThat(alice.jobs()).noneMatch(j -> j.id().equals(job.id()));
      assertThatThrownBy(() -> alice.job(job.id()))
          .isInstanceOfSatisfying(
              TrainerException.class,
              e -> assertThat(e.kind()).isEqualTo(TrainerException.Kind.NOT_FOUND));
      assertThat(sam.jobs()).anyMatch(j -> j.id().equals(job.id()));
      assertThat(alice.models()).isEmpty();
      assertThat(mia.models()).extracting(ModelInfo::id).contains(info.id());

      // Training is not approving: mia may not promote her own model.
      assertThatThrownBy(() -> mia.promote(info.id(), ""))
          .isInstanceOfSatisfying(
              TrainerException.class,
              e -> assertThat(e.kind()).isEqualTo(TrainerException.Kind.DENIED))
          .hasMessageContaining("denied by default-deny");
      // olivia may, but this trainer has no gate configured.
      try (TrainerClient olivia = as("olivia")) {
        assertThatThrownBy(() -> olivia.promote(info.id(), ""))
            .isInstanceOfSatisfying(
                TrainerException.class,
                e -> assertThat(e.kind()).isEqualTo(TrainerException.Kind.CONFLICT))
            .hasMessageContaining("no promotion gate");
      }
      assertThatThrownBy(() -> mia.cancel(job.id()))
          .isInstanceOfSatisfying(
              TrainerException.class,
              e -> assertThat(e.kind()).isEqualTo(TrainerException.Kind.CONFLICT))
          .hasMessageContaining("already succeeded");
    }
  }

  @Test
  void onlyThoseAllowedToSubmitMaySubmitAndABadSpecIsRefusedNamingItsField() throws Exception {
    try (TrainerClient alice = as("alice");
        TrainerClient mia = as("mia")) {
      int before = store.list().size();
      assertThatThrownBy(() -> alice.submit(Submission.upload(spec)))
          .isInstanceOfSatisfying(
              TrainerException.class,
              e -> assertThat(e.kind()).isEqualTo(TrainerException.Kind.DENIED))
          .hasMessageContaining("alice may not submit jobs: denied by default-deny");

      String bad = Files.readString(spec).replace("batch_size: 8", "batch_size: -1");
      Submission s = Submission.upload(spec);
      assertThatThrownBy(
              () -> mia.submit(new Submission("job.yaml", bad, Optional.empty(), s.files())))
          .isInstanceOfSatisfying(
              TrainerException.class,
              e -> assertThat(e.kind()).isEqualTo(TrainerException.Kind.INVALID))
          .hasMessageContaining("job.yaml")
          .hasMessageContaining("hyperparameters.batch_size");
      assertThatThrownBy(
              () ->
                  mia.submit(
                      new Submission(
                          "job.yaml",
                          Files.readString(spec),
                          Optional.empty(),
                          java.util.Map.of())))
          .isInstanceOfSatisfying(
              TrainerException.class,
              e -> assertThat(e.kind()).isEqualTo(TrainerException.Kind.INVALID))
          .hasMessageContaining("data.train");
      assertThat(store.list()).hasSize(before); // nothing was queued
    }
  }

  @Test
  void aQueuedJobIsCancelledByItsOwner() {
    try (TrainerClient mia = as("mia")) {
      JobView job = mia.submit(Submission.upload(spec));
      JobView cancelled = mia.cancel(job.id());
      assertThat(cancelled.state()).isInstanceOf(JobState.Cancelled.class);
    }
  }

  @Test
  void anUploadCarriesTheDataNamedRelativelyAndRefusesPathsOnTheTrainer() throws Exception {
    Path client = dir.resolve("client");
    Submission s = Submission.upload(spec);
    assertThat(s.files()).containsOnlyKeys("pairs.jsonl");

    for (String path : List.of("/srv/data/pairs.jsonl", "../secrets.jsonl")) {
      Path bad =
          Files.writeString(
              client.resolve("elsewhere.yaml"),
              Files.readString(spec).replace("train: pairs.jsonl", "train: " + path));
      assertThatThrownBy(() -> Submission.upload(bad))
          .isInstanceOf(dev.anvil.trainer.job.JobSpecException.class)
          .hasMessageContaining("elsewhere.yaml")
          .hasMessageContaining("data.train")
          .hasMessageContaining("spec's folder");
    }
    Path hfBase =
        Files.writeString(
            client.resolve("hf.yaml"),
            Files.readString(spec).replace("registry: tiny-base", "huggingface: /srv/models/x"));
    assertThatThrownBy(() -> Submission.upload(hfBase))
        .isInstanceOf(dev.anvil.trainer.job.JobSpecException.class)
        .hasMessageContaining("base_model")
        .hasMessageContaining("registry: MODEL_ID");
  }

  /**
   * A caller that skips the client's checks still reads nothing of the trainer's disk: a path that
   * exists on the trainer and one that does not get the same answer, and nothing is queued. (An
   * upload carries bytes, never links; JobSpecTest covers a link out of a confined folder.)
   */
  @Test
  void aSpecSentOverGrpcNamesOnlyItsUploadedFilesAndCannotProbeTheTrainersDisk() throws Exception {
    Path secret = TinyModels.write(dir.resolve("secret.jsonl"), TinyModels.pairs());
    byte[] pairs = Files.readAllBytes(dir.resolve("client/pairs.jsonl"));
    String text = Files.readString(spec);
    try (TrainerClient mia = as("mia")) {
      int before = store.list().size();
      Map<String, String> answers = new java.util.LinkedHashMap<>();
      for (String path :
          List.of(
              secret.toString(),
              dir.resolve("no-such.jsonl").toString(),
              "../../secret.jsonl",
              "../../no-such.jsonl")) {
        Map<String, byte[]> files = Map.of("pairs.jsonl", pairs);
        Submission s =
            new Submission(
                "job.yaml",
                text.replace("train: pairs.jsonl", "train: " + path),
                Optional.empty(),
                files);
        TrainerException e =
            org.junit.jupiter.api.Assertions.assertThrows(
                TrainerException.class, () -> mia.submit(s));
        assertThat(e.kind()).isEqualTo(TrainerException.Kind.INVALID);
        answers.put(path, e.getMessage().replace(path, "PATH"));
      }
      assertThat(answers.values())
          .allMatch(m -> m.contains("must name a file uploaded with the job"));
      assertThat(new java.util.HashSet<>(answers.values())).hasSize(1);
      assertThat(answers.values()).noneMatch(m -> m.contains(dir.toString()));

      // The base model: a path is refused the same way; a registry id must be one mia may read.
      for (String base :
          List.of(
              "huggingface: " + dir.resolve("models/tiny-base"),
              "huggingface: ../../models/tiny-base")) {
        Submission s =
            new Submission(
                "job.yaml",
                text.replace("registry: tiny-base", base),
                Optional.empty(),
                Map.of("pairs.jsonl", pairs));
        assertThatThrownBy(() -> mia.submit(s))
            .isInstanceOfSatisfying(
                TrainerException.class,
                e -> assertThat(e.kind()).isEqualTo(TrainerException.Kind.INVALID))
            .hasMessageContaining(
                "field 'base_model.huggingface': must name a file uploaded with the job");
      }
      assertThat(store.list()).hasSize(before);
    }
  }

  /**
   * A base model is read with read_model on its card: one mia may not read is not found, exactly
   * like one that does not exist; and a model made from a confidential base is confidential, though
   * its data was internal.
   */
  @Test
  void theBaseModelIsReadUnderPolicyAndItsLineageTravelsToTheNewModel() throws Exception {
    Path models = dir.resolve("models");
    TinyModels.registeredBase(
        models, "hr-base", Map.of("classification", "internal", "department", List.of("hr")));
    TinyModels.registeredBase(
        models,
        "confidential-base",
        Map.of("classification", "confidential", "department", List.of("engineering")));
    String text = Files.readString(spec);
    Map<String, byte[]> files =
        Map.of("pairs.jsonl", Files.readAllBytes(dir.resolve("client/pairs.jsonl")));
    try (TrainerClient mia = as("mia")) {
      List<String> answers = new ArrayList<>();
      for (String id : List.of("hr-base", "no-such-base")) {
        Submission s =
            new Submission("job.yaml", text.replace("tiny-base", id), Optional.empty(), files);
        TrainerException e =
            org.junit.jupiter.api.Assertions.assertThrows(
                TrainerException.class, () -> mia.submit(s));
        assertThat(e.kind()).isEqualTo(TrainerException.Kind.NOT_FOUND);
        answers.add(e.getMessage().replace(id, "ID"));
      }
      assertThat(answers.get(0)).isEqualTo(answers.get(1));

      JobView job =
          mia.submit(
              new Submission(
                  "job.yaml",
                  text.replace("tiny-base", "confidential-base")
                      .replace("name: tiny", "name: derived"),
                  Optional.empty(),
                  files));
      Thread worker = Thread.ofPlatform().start(runner::drain);
      JobView end = mia.follow(job.id(), 0, e -> {});
      worker.join();
      assertThat(end.state()).isInstanceOf(JobState.Succeeded.class);
      String model = ((JobState.Succeeded) end.state()).model();
      ModelInfo info = mia.model(Path.of(model).getFileName().toString());
      assertThat(info.lineage())
          .containsEntry("classification", "confidential")
          .containsEntry("department", List.of("engineering"));
    }
  }
}
