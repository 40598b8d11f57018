package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Document;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.embed.ModelSource;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.grpc.ContextClient;
import dev.anvil.context.grpc.ContextServer;
import dev.anvil.context.grpc.v1.ModelStatus;
import dev.anvil.context.grpc.v1.SearchRequest;
import dev.anvil.context.grpc.v1.SearchResponse;
import dev.anvil.context.serving.ModelRegistry;
import dev.anvil.devkafka.LocalKafka;
import dev.anvil.eval.BeirDataset;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.modelcard.GateVerdict;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rbac.TestUtils;
import dev.anvil.rpc.GrpcServer;
import dev.anvil.trainer.TinyModels;
import dev.anvil.trainer.data.Example;
import dev.anvil.trainer.grpc.TrainerClient;
import dev.anvil.trainer.grpc.TrainerServer;
import dev.anvil.trainer.job.JobEvent;
import dev.anvil.trainer.job.JobRunner;
import dev.anvil.trainer.job.JobState;
import dev.anvil.trainer.job.JobStore;
import dev.anvil.trainer.job.OpenJobStores;
import dev.anvil.trainer.model.EncoderModel;
import dev.anvil.trainer.service.GateSetup;
import dev.anvil.trainer.service.JobEventTopic;
import dev.anvil.trainer.service.JobView;
import dev.anvil.trainer.service.LocalTrainer;
import dev.anvil.trainer.service.Submission;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loop closed, every part real and on 127.0.0.1: an ML engineer submits a fine-tuning job to
 * the trainer service over gRPC and streams its events to the end (they also reach a Kafka topic);
 * the model is exported to ONNX; a model approver runs {@code anvil model promote}, which has the
 * trainer's gate decide over gRPC and tells the context engine, over gRPC, to re-embed in the
 * background and switch. Searches before, during and after all succeed and name the model that
 * answered them, and so does the audit log.
 */
@Tag("heavy")
class ModelLoopEndToEndTest {
  @RegisterExtension final OpenJobStores stores = new OpenJobStores();

  @TempDir Path dir;

  static final int MAX_TOKENS = 64; // the tiny encoder's positions (the chunks are short)

  @Test
  void submitStreamExportPromoteSwitch() throws Exception {
    PrincipalDirectory people = PrincipalDirectory.load(TestPacks.example().principalsFile());
    PolicyStore policies = PolicyStore.open(TestPacks.example());
    // The development issuer the anvil commands below mint their tokens with.
    Path cliData = dir.resolve("cli");
    DevTokenIssuer issuer =
        DevTokenIssuer.openOrCreate(
            cliData.resolve("dev-issuer/signing-key.jwk.json"), Clock.systemUTC());
    String pack = PolicyCommandTest.examplePack().toString();

    // The customer's base encoder, served by the engine through ONNX Runtime and placed in the
    // trainer's registry by the operator (a remote job names its base model by registry id).
    Path base =
        TinyModels.registeredBase(
            dir.resolve("models"),
            "loop-base",
            Map.of("classification", "internal", "department", List.of("engineering")));
    try (EncoderModel m = EncoderModel.load(base, Device.cpu(), MAX_TOKENS)) {
      m.exportOnnx(base, Map.of());
    }
    List<Example> pairs = TinyModels.pairs();
    OnnxEmbedder embedder = OnnxEmbedder.open(ModelSource.directory(base), 1, MAX_TOKENS, 32);
    AtomicBoolean stop = new AtomicBoolean();
    try (LocalKafka kafka = LocalKafka.start(dir.resolve("kafka"), 0);
        ContextEngine engine =
            ContextEngine.open(
                dir.resolve("index"),
                policies,
                embedder,
                d -> OnnxEmbedder.open(ModelSource.directory(d), 1, MAX_TOKENS, 32),
                ModelRegistry.at(dir.resolve("models")),
                OpenTelemetry.noop());
        AuditLog audit = AuditLog.open(dir.resolve("audit.jsonl"));
        GrpcServer contextServer =
            ContextServer.start("127.0.0.1", 0, engine, issuer.verifier(), audit);
        JobEventTopic topic =
            new JobEventTopic(
                Map.of("bootstrap.servers", kafka.bootstrapServers()), "anvil.jobs", "test")) {
      // The engine's documents: each pair's answer, internal to engineering.
      List<Document> docs = new ArrayList<>();
      for (int i = 0; i < pairs.size(); i++) {
        Example.Pair p = (Example.Pair) pairs.get(i);
        docs.add(
            new Document("doc-" + i, 1, "", p.positive(), "test://" + i, Map.copyOf(p.tags())));
      }
      assertThat(engine.ingest(people.find("kafka-connector").orElseThrow(), docs))
          .allMatch(o -> o instanceof dev.anvil.context.api.IngestOutcome.Indexed);

      // The trainer service, its worker, and its gate for an engine limited to internal data.
      JobStore store = stores.open(dir.resolve("jobs"));
      store.onEvent(topic);
      Path models = dir.resolve("models");
      Path rules =
          Files.writeString(
              dir.resolve("gate.yaml"),
              "min_margin: 0.01\nmax_regression: 0.0\nmax_lineage: {classification: internal}\n");
      GateSetup gate =
          new GateSetup(
              rules,
              beir(dir.resolve("eval"), pairs),
              beir(dir.resolve("reg"), pairs.subList(0, 6)));
      JobRunner runner = new JobRunner(store, policies, models, Device.cpu());
      Thread worker =
          Thread.ofPlatform()
              .start(
                  () -> {
                    while (!stop.get()) {
                      runner.drain();
                      sleep(100);
                    }
                  });
      try (GrpcServer trainerServer =
          TrainerServer.start(
              "127.0.0.1",
              0,
              who -> new LocalTrainer(store, policies, models, Optional.of(gate), who),
              // The trainer's own audience: a token for the engine is refused here.
              issuer.verifier(DevTokenIssuer.TRAINER_AUDIENCE, () -> policies.current().schema()),
              OpenTelemetry.noop())) {
        Path client = Files.createDirectories(dir.resolve("client"));
        TinyModels.write(client.resolve("pairs.jsonl"), pairs);
        Path spec =
            Files.writeString(
                client.resolve("job.yaml"),
                TinyModels.tunedEmbeddingSpec("loop", "registry: loop-base"));

        // 1. Submit over gRPC as mia; stream the job's events to its end.
        JobView job;
        List<JobEvent> events = new ArrayList<>();
        try (TrainerClient mia = trainer(trainerServer, issuer, people, "mia")) {
          job = mia.submit(Submission.upload(spec));
          JobView end = mia.follow(job.id(), 0, events::add);
          assertThat(end.state()).isInstanceOf(JobState.Succeeded.class);
        }
        assertThat(events)
            .filteredOn(e -> e instanceof JobEvent.StateChanged)
            .map(e -> ((JobEvent.StateChanged) e).state())
            .containsSubsequence("queued", "validating", "running", "succeeded");
        List<JobEvent.Step> steps =
            events.stream()
                .filter(e -> e instanceof JobEvent.Step)
                .map(e -> (JobEvent.Step) e)
                .toList();
        assertThat(steps).isNotEmpty().allMatch(s -> s.loss() > 0 && s.examplesPerSecond() > 0);
        assertThat(steps.getLast().step()).isEqualTo(steps.getLast().totalSteps());

        // 2. Exported: the registered model has model.onnx beside its card.
        String modelId;
        Path modelDir;
        try (TrainerClient olivia = trainer(trainerServer, issuer, people, "olivia")) {
          var model = olivia.models().getLast();
          assertThat(model.job()).isEqualTo(job.id());
          assertThat(model.onnx()).isTrue();
          modelId = model.id();
          modelDir = model.path();
        }
        assertThat(modelDir.resolve("model.onnx")).isRegularFile();

        try (ContextClient alice = engine(contextServer, issuer, people, "alice");
            ContextClient olivia = engine(contextServer, issuer, people, "olivia");
            ContextClient mia = engine(contextServer, issuer, people, "mia")) {
          String baseId = engine.modelId();

          // 3. Before: the base model answers.
          SearchResponse before = alice.search(query("who owns the kernel"));
          assertThat(before.getChunksCount()).isPositive();
          assertThat(before.getModelId()).isEqualTo(baseId);

          // Training is not approving: mia may not switch the engine to her own model, and is
          // told no more than for a model that does not exist.
          assertThatThrownBy(() -> mia.switchModel(modelId, 0, false))
              .isInstanceOfSatisfying(
                  StatusRuntimeException.class,
                  e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND))
              .hasMessageContaining("no model '" + modelId + "'");

          // 4. olivia promotes with the anvil command: the trainer's gate compares the candidate
          // with the model the engine serves, then the engine re-embeds, throttled, and switches.
          assertThat(olivia.model().getRegistryModelId()).isEqualTo("loop-base");
          System.setProperty("anvil.data", cliData.toString());
          CompletableFuture<PolicyCommandTest.Run> promote =
              CompletableFuture.supplyAsync(
                  () ->
                      PolicyCommandTest.anvil(
                          "model",
                          "promote",
                          modelId,
                          "--as",
                          "olivia",
                          "--pack",
                          pack,
                          "--trainer",
                          "127.0.0.1:" + trainerServer.port(),
                          "--engine",
                          "127.0.0.1:" + contextServer.port(),
                          "--chunks-per-second",
                          "5"));
          TestUtils.waitForCondition(
              () -> promote.isDone() || olivia.model().hasReembedding(),
              Duration.ofMinutes(3),
              "the gate's verdict and the engine's re-embedding");
          // 5. Meanwhile, searches keep the old model and its vectors; never a mix.
          int during = 0;
          long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
          while (olivia.model().getReembedding().getState().equals("running")) {
            assertThat(System.nanoTime()).as("re-embedded within 5 minutes").isLessThan(deadline);
            SearchResponse r = alice.search(query("who owns the kernel"));
            if (olivia.model().getReembedding().getState().equals("running")) {
              assertThat(r.getModelId()).isEqualTo(baseId);
              during++;
            }
            assertThat(r.getChunksCount()).isPositive();
            Thread.sleep(100);
          }
          PolicyCommandTest.Run promoted = promote.get(5, TimeUnit.MINUTES);
          assertThat(promoted.exit()).as(promoted.err()).isZero();
          assertThat(during).as("searches during the re-embedding").isPositive();
          ModelStatus status = olivia.model();
          String newId = status.getModelId();
          assertThat(newId).startsWith(modelId + "@").isNotEqualTo(baseId);
          assertThat(status.getReembedding().getState()).isEqualTo("switched");
          assertThat(status.getReembedding().getDone()).isEqualTo(docs.size());
          assertThat(status.getPreviousModelId()).isEqualTo(baseId);
          assertThat(promoted.out()).contains("promote " + modelId).contains("serving " + newId);
          // Decided on the dev split, as the trainer's answer over gRPC says.
          assertThat(promoted.out())
              .contains("on the evaluation set (dev)")
              .contains("on the regression set (dev)");
          // The engine switched on the verdict the gate stored beside the candidate, for the
          // exact bytes of the candidate and of the model that served.
          assertThat(
                  GateVerdict.find(
                      modelDir, GateVerdict.digest(modelDir), GateVerdict.digest(base)))
              .hasValueSatisfying(v -> assertThat(v.decidedBy()).isEqualTo("olivia"));

          // The gate's decision, audited with its numbers.
          JsonObject decision =
              JsonParser.parseString(Files.readAllLines(models.resolve("gate.jsonl")).getLast())
                  .getAsJsonObject()
                  .getAsJsonObject("data");
          assertThat(decision.get("verdict").getAsString()).isEqualTo("promote");
          JsonObject eval = decision.getAsJsonObject("evaluation");
          assertThat(eval.get("split").getAsString()).isEqualTo("dev");
          assertThat(eval.get("candidate").getAsDouble() - eval.get("serving").getAsDouble())
              .isGreaterThanOrEqualTo(0.01);
          assertThat(
                  decision.getAsJsonObject("candidate_lineage").get("classification").getAsString())
              .isEqualTo("internal");

          // 6. After: the fine-tuned model answers.
          SearchResponse after = alice.search(query("who owns the kernel"));
          assertThat(after.getChunksCount()).isPositive();
          assertThat(after.getModelId()).isEqualTo(newId);

          // The audit log names the model of each search.
          List<String> searches =
              Files.readAllLines(dir.resolve("audit.jsonl")).stream()
                  .filter(l -> l.contains("\"action\":\"search\""))
                  .toList();
          assertThat(searches).anyMatch(l -> l.contains(baseId));
          assertThat(searches.getLast()).contains(newId);

          // 7. Rollback, at once, by whoever may promote the model taken out.
          PolicyCommandTest.Run rollback =
              PolicyCommandTest.anvil(
                  "model",
                  "rollback",
                  "--as",
                  "olivia",
                  "--pack",
                  pack,
                  "--engine",
                  "127.0.0.1:" + contextServer.port());
          assertThat(rollback.exit()).as(rollback.err()).isZero();
          assertThat(rollback.out()).contains("serving " + baseId);
          assertThat(alice.search(query("who owns the kernel")).getModelId()).isEqualTo(baseId);
        }
      } finally {
        System.clearProperty("anvil.data");
        stop.set(true);
        worker.join();
      }

      // 8. The job's events went to Kafka too, in the event envelope, keyed by job.
      List<JsonObject> envelopes = readAll(kafka.bootstrapServers(), "anvil.jobs");
      assertThat(envelopes)
          .anySatisfy(
              e -> {
                assertThat(e.get("type").getAsString()).isEqualTo("anvil.job.state");
                assertThat(e.getAsJsonObject("data").get("state").getAsString())
                    .isEqualTo("succeeded");
              });
      assertThat(envelopes).allMatch(e -> e.get("schema_version").getAsInt() == 1);
      assertThat(envelopes.stream().map(e -> e.get("id").getAsString()).distinct().count())
          .isEqualTo(envelopes.size());
    }
  }

  private static TrainerClient trainer(
      GrpcServer server, DevTokenIssuer issuer, PrincipalDirectory people, String who) {
    String token =
        issuer.mint(
            people.find(who).orElseThrow(),
            "test",
            Duration.ofMinutes(10),
            DevTokenIssuer.TRAINER_AUDIENCE);
    return TrainerClient.connect("127.0.0.1", server.port(), () -> token, Duration.ofSeconds(60));
  }

  private static ContextClient engine(
      GrpcServer server, DevTokenIssuer issuer, PrincipalDirectory people, String who) {
    String token = issuer.mint(people.find(who).orElseThrow(), "test", Duration.ofMinutes(10));
    return ContextClient.connect("127.0.0.1", server.port(), () -> token, Duration.ofSeconds(30));
  }

  private static SearchRequest query(String q) {
    return SearchRequest.newBuilder().setQuery(q).setTopK(5).build();
  }

  private static BeirDataset beir(Path to, List<Example> pairs) {
    return BeirDataset.load(TinyModels.beir(to, pairs), "dev");
  }

  private static List<JsonObject> readAll(String bootstrap, String topic) {
    List<JsonObject> out = new ArrayList<>();
    try (KafkaConsumer<String, String> c =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "e2e",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
            new StringDeserializer(),
            new StringDeserializer())) {
      c.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < deadline
          && out.stream()
              .noneMatch(
                  e ->
                      e.getAsJsonObject("data").get("type").getAsString().equals("state")
                          && e.getAsJsonObject("data")
                              .get("state")
                              .getAsString()
                              .equals("succeeded"))) {
        c.poll(Duration.ofMillis(500))
            .forEach(r -> out.add(JsonParser.parseString(r.value()).getAsJsonObject()));
      }
    }
    return out;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
