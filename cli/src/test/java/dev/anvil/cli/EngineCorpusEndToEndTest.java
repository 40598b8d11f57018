package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.IngestOutcome;
import dev.anvil.context.api.Limits;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.embed.ModelSource;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.grpc.ContextServer;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rpc.ClientTransport;
import dev.anvil.rpc.GrpcServer;
import dev.anvil.rpc.ServerTransport;
import dev.anvil.rpc.TestCertificates;
import dev.anvil.trainer.TinyModels;
import dev.anvil.trainer.grpc.TrainerClient;
import dev.anvil.trainer.job.JobState;
import dev.anvil.trainer.service.JobView;
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
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job whose corpus is the context engine's, every part real and on 127.0.0.1: {@code anvil train
 * serve --engine} (its own process) takes a job from mia, exchanges mia's token for one to the
 * engine, and reads over mTLS, with the trainer's client certificate, only what mia may train on;
 * the engine audits the export as mia's, through the trainer's certificate. The job trains on the
 * synthetic pairs and its model's card names where they came from. Documents mia may not train on
 * are absent from all of it, and a corpus of only those reads as one that does not exist.
 */
@Tag("heavy")
class EngineCorpusEndToEndTest {
  @TempDir Path dir;

  static final String SPEC =
      """
      name: from-engine
      task: embedding
      base_model: {registry: tiny-base}
      data:
        engine: {tags: {department: engineering}}
      hyperparameters:
        epochs: 1
        batch_size: 8
        learning_rate: 2.0e-4
        max_seq_length: 32
        eval_every: 2
        checkpoint_every: 100
        holdout: 0.2
      """;

  static Document doc(int i, String classification, String department) {
    String topic = List.of("kernel", "cluster", "latency", "storage").get(i % 4);
    return new Document(
        department + "-" + i,
        1,
        "Notes on the " + topic + " " + i,
        "The "
            + topic
            + " work went well this week. We measured the "
            + topic
            + " again after the change. Note "
            + i
            + " shows the "
            + topic
            + " trend across every team and every region we run in today.",
        "test://" + i,
        Map.of("classification", classification, "department", List.of(department)));
  }

  @Test
  void aTrainerReadsItsJobsCorpusOverMtlsAsTheOwnerAndTheEngineAuditsIt() throws Exception {
    PrincipalDirectory people = PrincipalDirectory.load(TestPacks.example().principalsFile());
    Path data = dir.resolve("data"); // the trainer's, with the development issuer both trust
    DevTokenIssuer issuer =
        DevTokenIssuer.openOrCreate(
            data.resolve("dev-issuer/signing-key.jwk.json"), Clock.systemUTC());
    TestCertificates.Ca ca = TestCertificates.ca(dir, "anvil-ca");
    TestCertificates.Leaf engineCert = ca.server(dir, "engine");
    TestCertificates.Leaf trainerCert = ca.client(dir, "anvil-trainer");
    TinyModels.registeredBase(
        data.resolve("models"),
        "tiny-base",
        Map.of("classification", "internal", "department", List.of("engineering")));

    List<Document> docs = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      docs.add(doc(i, "internal", "engineering"));
    }
    docs.add(doc(90, "restricted", "engineering")); // past mia's clearance
    docs.add(doc(91, "confidential", "hr"));
    try (OnnxEmbedder embedder = OnnxEmbedder.open(ModelSource.packagedMiniLm(), 1);
        ContextEngine engine =
            ContextEngine.open(
                dir.resolve("index"), PolicyStore.open(TestPacks.example()), embedder);
        AuditLog audit = AuditLog.open(dir.resolve("audit.jsonl"));
        GrpcServer server =
            ContextServer.start(
                "127.0.0.1",
                0,
                new ServerTransport.Tls(
                    engineCert.certFile(),
                    engineCert.keyFile(),
                    Optional.of(ca.pem()),
                    true,
                    Duration.ofMinutes(1)),
                engine,
                issuer.verifier(),
                audit,
                Limits.DEFAULTS,
                OpenTelemetry.noop())) {
      assertThat(engine.ingest(people.find("kafka-connector").orElseThrow(), docs))
          .allMatch(o -> o instanceof IngestOutcome.Indexed);

      try (AnvilProcess trainer =
          AnvilProcess.start(
              data,
              "train",
              "serve",
              "--dev",
              "--port",
              "0",
              "--pack",
              PolicyCommandTest.examplePack().toString(),
              "--engine",
              "127.0.0.1:" + server.port(),
              "--engine-tls-ca",
              ca.pem().toString(),
              "--engine-tls-client-cert",
              trainerCert.certFile().toString(),
              "--engine-tls-client-key",
              trainerCert.keyFile().toString())) {
        String port =
            trainer.await(
                Pattern.compile("anvil: trainer on 127\\.0\\.0\\.1:(\\d+) .*context engine"),
                "anvil train serve to listen");

        JobView end;
        try (TrainerClient mia = client(issuer, people, "mia", port)) {
          JobView job = mia.submit(new Submission("spec.yaml", SPEC, Optional.empty(), Map.of()));
          end = mia.follow(job.id(), 0, e -> {});
        }
        assertThat(end.state()).as(trainer.log()).isInstanceOf(JobState.Succeeded.class);
        Path model = Path.of(((JobState.Succeeded) end.state()).model());
        JsonObject card =
            JsonParser.parseString(Files.readString(model.resolve("anvil-model-card.json")))
                .getAsJsonObject();
        JsonObject trained = card.getAsJsonArray("data").get(0).getAsJsonObject();
        assertThat(trained.get("documents").getAsInt()).isEqualTo(12); // not restricted, not hr
        assertThat(trained.getAsJsonObject("origin").get("source").getAsString())
            .isEqualTo("context engine 127.0.0.1:" + server.port());
        assertThat(Files.readString(model.resolve("data-provenance.json")))
            .contains("engineering-0")
            .doesNotContain("engineering-90")
            .doesNotContain("hr-91");

        // hr's documents exist but mia may not train on them; legal has none: the same answer.
        try (TrainerClient mia = client(issuer, people, "mia", port)) {
          List<String> answers = new ArrayList<>();
          for (String department : List.of("hr", "legal")) {
            String spec = SPEC.replace("department: engineering", "department: " + department);
            assertThatThrownBy(
                    () -> mia.submit(new Submission("spec.yaml", spec, Optional.empty(), Map.of())))
                .isInstanceOfSatisfying(
                    TrainerException.class,
                    e -> {
                      assertThat(e.kind()).isEqualTo(TrainerException.Kind.INVALID);
                      answers.add(e.getMessage().replace(department, "DEPARTMENT"));
                    });
          }
          assertThat(answers.getFirst())
              .isEqualTo(answers.getLast())
              .contains(
                  "has no documents with tags {department=[DEPARTMENT]} that you may train on");
        }
      }
    }
    // The engine audited the exports as the owners', through the trainer's certificate.
    List<String> exports =
        Files.readAllLines(dir.resolve("audit.jsonl")).stream()
            .filter(l -> l.contains("\"action\":\"export_corpus\""))
            .toList();
    assertThat(exports)
        .anySatisfy(
            l ->
                assertThat(l)
                    .contains("\"subject\":\"mia\"")
                    .contains("\"agent\":\"anvil-trainer\"")
                    .contains("client_cert=CN=anvil-trainer")
                    .contains("\"engineering-0\""))
        .anySatisfy(l -> assertThat(l).contains("\"document_ids\":[]"))
        .allSatisfy(l -> assertThat(l).doesNotContain("hr-91").doesNotContain("engineering-90"));
  }

  private static TrainerClient client(
      DevTokenIssuer issuer, PrincipalDirectory people, String name, String port) {
    String token =
        issuer.mint(
            people.find(name).orElseThrow(),
            "anvil-cli",
            Duration.ofMinutes(10),
            DevTokenIssuer.TRAINER_AUDIENCE);
    return TrainerClient.connect(
        "127.0.0.1",
        Integer.parseInt(port),
        ClientTransport.PLAINTEXT,
        () -> token,
        Duration.ofMinutes(2));
  }
}
