package dev.anvil.context.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Change;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.IngestOutcome;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.embed.HashEmbedder;
import dev.anvil.context.grpc.ContextClient;
import dev.anvil.context.grpc.ContextServer;
import dev.anvil.context.grpc.v1.IngestResult;
import dev.anvil.context.grpc.v1.TagValues;
import dev.anvil.context.index.CommittedIndex;
import dev.anvil.context.ingest.kafka.DocumentProducer;
import dev.anvil.context.ingest.kafka.DocumentRecord;
import dev.anvil.context.ingest.kafka.KafkaIngestor;
import dev.anvil.devkafka.LocalKafka;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.Decision;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.RandomPolicies;
import dev.anvil.rbac.TestSeed;
import dev.anvil.rbac.input.PolicySource;
import dev.anvil.rbac.schema.DocTags;
import dev.anvil.rbac.schema.InvalidTagsException;
import dev.anvil.rpc.GrpcServer;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replacing a document is deleting the old one and ingesting the new one. Over random policy sets,
 * writers, indexed documents (or none) and new tags and versions, the outcome of every upsert is
 * what the policies decide on the old and the new document, and nothing else: a document the writer
 * may not read is a conflict whatever it holds and whatever version was sent. Checked through the
 * engine and through gRPC, case by case against a reference written from the rule.
 */
@Tag("heavy")
@ExtendWith(TestSeed.class)
class ReplacementPropertyTest {
  static final int CASES = Integer.getInteger("anvil.replacement.cases", 100_000);
  static final int PER_ROUND = 2_000;
  static final List<String> ACTIONS = List.of("read", "ingest", "delete");

  /** Lets the set-up write every old document: a role no random principal has. */
  static final String SETUP =
      "- id: test-setup\n  effect: allow\n  actions: [read, ingest, delete]\n"
          + "  when: \"'test-setup' in principal.roles\"\n";

  static final Principal SETUP_PRINCIPAL =
      new Principal("setup", java.util.Set.of("test-setup"), java.util.Set.of(), Map.of());

  @TempDir Path dir;

  /** One upsert over an id that may already be indexed. */
  record Case(
      String id,
      Principal writer,
      Map<String, Object> oldTags,
      long oldVersion,
      Map<String, Object> newTags,
      long newVersion) {
    Document newDoc() {
      return new Document(id, newVersion, "", "new text of " + id, "test://" + id, newTags);
    }
  }

  /** One round: a random policy set, its cases, and the old documents written first. */
  record Round(PolicySet setup, PolicySet policies, List<Case> cases) {}

  static Round round(long seed) {
    RandomPolicies gen = new RandomPolicies(seed);
    String schema = gen.schemaYaml();
    String policies = gen.policiesYaml(ACTIONS);
    PolicySet set =
        PolicySet.parse(
            new PolicySource("schema.yaml", schema),
            List.of(new PolicySource("policies.yaml", policies)));
    PolicySet setup =
        PolicySet.parse(
            new PolicySource("schema.yaml", schema),
            List.of(new PolicySource("setup.yaml", SETUP)));
    Random r = new Random(seed);
    List<Principal> writers = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      writers.add(gen.principal());
    }
    List<Case> cases = new ArrayList<>();
    for (int i = 0; i < PER_ROUND; i++) {
      cases.add(
          new Case(
              "doc-" + i,
              writers.get(r.nextInt(writers.size())),
              r.nextInt(4) == 0 ? null : gen.doc(),
              1 + r.nextInt(3),
              gen.doc(),
              1 + r.nextInt(3)));
    }
    return new Round(setup, set, cases);
  }

  /** What the rule says, decision by decision; {@code oldIndexed} is what the set-up wrote. */
  static IngestOutcome expected(PolicySet set, Case c, boolean oldIndexed) {
    DocTags fresh;
    try {
      fresh = set.schema().validate(c.newTags());
    } catch (InvalidTagsException e) {
      return new IngestOutcome.Rejected(c.id(), "", "");
    }
    if (set.decide(c.writer(), Action.INGEST, fresh) instanceof Decision.Deny d) {
      return new IngestOutcome.Denied(c.id(), d.policy());
    }
    if (!oldIndexed) {
      return new IngestOutcome.Indexed(c.id(), c.newVersion(), 1);
    }
    DocTags old = set.schema().validate(c.oldTags());
    if (!set.decide(c.writer(), Action.READ, old).permitted()) {
      return new IngestOutcome.Conflict(c.id());
    }
    if (set.decide(c.writer(), Action.DELETE, old) instanceof Decision.Deny d) {
      return new IngestOutcome.Denied(c.id(), d.policy());
    }
    if (c.oldVersion() >= c.newVersion()) {
      return new IngestOutcome.Ignored(c.id(), c.newVersion(), c.oldVersion());
    }
    return new IngestOutcome.Indexed(c.id(), c.newVersion(), 1);
  }

  /** The outcome as compared: its kind and what it tells (a rejection's details aside). */
  static String shape(IngestOutcome o) {
    return switch (o) {
      case IngestOutcome.Rejected r -> "rejected " + r.id();
      default -> o.toString();
    };
  }

  /** Opens an engine under the set-up policies and writes the round's old documents. */
  static Map<String, Boolean> writeOld(
      Round round, ContextEngine engine, AtomicReference<PolicySet> inForce) {
    List<Change> old = new ArrayList<>();
    for (Case c : round.cases()) {
      if (c.oldTags() != null) {
        old.add(
            new Change.Upsert(
                SETUP_PRINCIPAL,
                new Document(
                    c.id(),
                    c.oldVersion(),
                    "",
                    "old text of " + c.id(),
                    "test://old",
                    c.oldTags())));
      }
    }
    Map<String, Boolean> indexed = new LinkedHashMap<>();
    List<IngestOutcome> outcomes = engine.apply(old);
    engine.commit(Map.of());
    outcomes.forEach(o -> indexed.put(o.id(), o instanceof IngestOutcome.Indexed));
    inForce.set(round.policies());
    engine.policies().reload();
    return indexed;
  }

  private ContextEngine engine(Path index, AtomicReference<PolicySet> inForce) {
    return ContextEngine.open(
        index, new PolicyStore(inForce::get), HashEmbedder.of("hash", 8), OpenTelemetry.noop());
  }

  @Test
  void everyUpsertIsDecidedOnTheOldAndTheNewDocumentThroughTheEngine() {
    int checked = 0;
    int conflicts = 0;
    int replaced = 0;
    List<String> differences = new ArrayList<>();
    for (int round = 0; checked < CASES; round++) {
      long seed = TestSeed.RUN + round;
      Round r = round(seed);
      AtomicReference<PolicySet> inForce = new AtomicReference<>(r.setup());
      try (ContextEngine engine = engine(dir.resolve("engine-" + round), inForce)) {
        Map<String, Boolean> indexed = writeOld(r, engine, inForce);
        List<IngestOutcome> got =
            engine.apply(
                r.cases().stream()
                    .<Change>map(c -> new Change.Upsert(c.writer(), c.newDoc()))
                    .toList());
        for (int i = 0; i < r.cases().size(); i++) {
          Case c = r.cases().get(i);
          IngestOutcome want = expected(r.policies(), c, indexed.getOrDefault(c.id(), false));
          if (!shape(want).equals(shape(got.get(i)))) {
            differences.add(
                "seed " + seed + ": " + c + ": expected " + want + ", got " + got.get(i));
          }
          conflicts += want instanceof IngestOutcome.Conflict ? 1 : 0;
          replaced +=
              want instanceof IngestOutcome.Indexed && indexed.getOrDefault(c.id(), false) ? 1 : 0;
          checked++;
        }
      }
    }
    System.out.printf(
        "replacement property (engine): %d cases, %d conflicts, %d replacements, %d differences%n",
        checked, conflicts, replaced, differences.size());
    assertThat(differences).as("first differences").isEmpty();
    assertThat(conflicts).as("hidden documents met").isPositive();
    assertThat(replaced).as("documents replaced").isPositive();
  }

  @Test
  void everyUpsertIsDecidedOnTheOldAndTheNewDocumentThroughGrpc() throws Exception {
    int cases = Integer.getInteger("anvil.replacement.grpc-cases", Math.max(PER_ROUND, CASES / 10));
    DevTokenIssuer issuer =
        DevTokenIssuer.openOrCreate(dir.resolve("dev-key.json"), Clock.systemUTC());
    int checked = 0;
    List<String> differences = new ArrayList<>();
    for (int round = 0; checked < cases; round++) {
      long seed = TestSeed.RUN + 1_000_000 + round;
      Round r = round(seed);
      AtomicReference<PolicySet> inForce = new AtomicReference<>(r.setup());
      try (ContextEngine engine = engine(dir.resolve("grpc-" + round), inForce);
          AuditLog audit = AuditLog.open(dir.resolve("audit-" + round + ".jsonl"));
          GrpcServer server =
              ContextServer.start(
                  "127.0.0.1", 0, engine, issuer.verifier(() -> inForce.get().schema()), audit)) {
        Map<String, Boolean> indexed = writeOld(r, engine, inForce);
        // One stream per writer, in the order of its cases. A writer with several values for a
        // single-valued attribute gets no token through (the engine-level test covers it).
        Map<Principal, List<Case>> byWriter = new LinkedHashMap<>();
        r.cases().stream()
            .filter(
                c ->
                    PrincipalDirectory.singleValueProblems(r.policies().schema(), c.writer())
                        .isEmpty())
            .forEach(c -> byWriter.computeIfAbsent(c.writer(), w -> new ArrayList<>()).add(c));
        for (var e : byWriter.entrySet()) {
          String token = issuer.mint(e.getKey(), "property-test", Duration.ofMinutes(10));
          try (ContextClient client =
              ContextClient.connect(
                  "127.0.0.1", server.port(), () -> token, Duration.ofMinutes(2))) {
            List<IngestResult> results =
                client
                    .ingest(e.getValue().stream().map(ReplacementPropertyTest::proto).toList())
                    .get(2, TimeUnit.MINUTES);
            for (int i = 0; i < results.size(); i++) {
              Case c = e.getValue().get(i);
              IngestOutcome want = expected(r.policies(), c, indexed.getOrDefault(c.id(), false));
              if (!grpcShape(want).equals(grpcShape(results.get(i)))) {
                differences.add(
                    "seed " + seed + ": " + c + ": expected " + want + ", got " + results.get(i));
              }
              checked++;
            }
          }
        }
      }
    }
    System.out.printf(
        "replacement property (gRPC): %d cases, %d differences%n", checked, differences.size());
    assertThat(differences).as("first differences").isEmpty();
  }

  @Test
  void everyUpsertIsDecidedOnTheOldAndTheNewDocumentThroughKafka() throws Exception {
    int cases =
        Integer.getInteger("anvil.replacement.kafka-cases", Math.max(PER_ROUND, CASES / 25));
    int checked = 0;
    List<String> differences = new ArrayList<>();
    try (LocalKafka kafka = LocalKafka.start(dir.resolve("kafka"), 0)) {
      Map<String, Object> client = Map.of("bootstrap.servers", kafka.bootstrapServers());
      for (int round = 0; checked < cases; round++) {
        long seed = TestSeed.RUN + 2_000_000 + round;
        Round r = round(seed);
        AtomicReference<PolicySet> inForce = new AtomicReference<>(r.setup());
        Path index = dir.resolve("kafka-" + round);
        try (ContextEngine engine = engine(index, inForce)) {
          Map<String, Boolean> indexed = writeOld(r, engine, inForce);
          // One topic per writer, bound to it: its records are written as it, whatever they say.
          Map<Principal, List<Case>> byWriter = new LinkedHashMap<>();
          r.cases()
              .forEach(c -> byWriter.computeIfAbsent(c.writer(), w -> new ArrayList<>()).add(c));
          List<KafkaIngestor> ingestors = new ArrayList<>();
          Map<String, String> topics = new LinkedHashMap<>();
          try {
            int w = 0;
            for (var e : byWriter.entrySet()) {
              String topic = "r" + round + "-w" + w++;
              topics.put(topic, topic);
              ingestors.add(
                  KafkaIngestor.start(
                      engine,
                      KafkaIngestor.Config.defaults(kafka.bootstrapServers(), "prop")
                          .withTopic(topic),
                      e.getKey(),
                      OpenTelemetry.noop()));
              try (DocumentProducer p = new DocumentProducer(client, topic)) {
                for (Case c : e.getValue()) {
                  p.send(new DocumentRecord.Upsert(c.newDoc()));
                }
                p.flush();
              }
            }
            long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (ingestors.stream()
                    .mapToLong(
                        i -> i.stats().indexed() + i.stats().ignored() + i.stats().deadLettered())
                    .sum()
                < r.cases().size()) {
              assertThat(System.nanoTime()).as("every record processed").isLessThan(deadline);
              Thread.sleep(20);
            }
          } finally {
            ingestors.forEach(KafkaIngestor::close);
          }
          Map<String, String> dead = deadLetters(client, topics.keySet());
          for (Case c : r.cases()) {
            IngestOutcome want = expected(r.policies(), c, indexed.getOrDefault(c.id(), false));
            String got = kafkaShape(c, dead.get(c.id()), CommittedIndex.version(index, c.id()));
            if (!kafkaShape(want, c, indexed.getOrDefault(c.id(), false)).equals(got)) {
              differences.add("seed " + seed + ": " + c + ": expected " + want + ", got " + got);
            }
            checked++;
          }
        }
      }
    }
    System.out.printf(
        "replacement property (Kafka): %d cases, %d differences%n", checked, differences.size());
    assertThat(differences).as("first differences").isEmpty();
  }

  /**
   * What a Kafka consumer's outcome leaves behind: a dead letter's kind, or the version indexed.
   */
  private static String kafkaShape(IngestOutcome want, Case c, boolean oldIndexed) {
    long unchanged = oldIndexed ? c.oldVersion() : -1;
    return switch (want) {
      case IngestOutcome.Indexed i -> "version " + c.newVersion();
      case IngestOutcome.Ignored i -> "version " + c.oldVersion();
      case IngestOutcome.Rejected x -> "rejected, version " + unchanged;
      case IngestOutcome.Denied d -> "denied by " + d.policy() + ", version " + unchanged;
      case IngestOutcome.Conflict x -> "conflict, version " + unchanged;
      case IngestOutcome.Deleted x -> "deleted";
    };
  }

  private static String kafkaShape(Case c, String deadReason, java.util.OptionalLong version) {
    String v = "version " + (version.isPresent() ? version.getAsLong() : -1);
    if (deadReason == null) {
      return v;
    }
    if (deadReason.contains("denied by policy ")) {
      String policy =
          deadReason.substring(deadReason.indexOf("denied by policy ") + 17).split(" ")[0];
      return "denied by " + policy + ", " + v;
    }
    if (deadReason.contains("the id is taken")) {
      return "conflict, " + v;
    }
    return "rejected, " + v;
  }

  /** Each dead-lettered record's key and reason, over the topics' dead-letter topics. */
  private static Map<String, String> deadLetters(
      Map<String, Object> client, Iterable<String> topics) {
    Map<String, String> out = new LinkedHashMap<>();
    try (var consumer =
        new org.apache.kafka.clients.consumer.KafkaConsumer<>(
            client,
            new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
            new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      for (String topic : topics) {
        var dlq = new org.apache.kafka.common.TopicPartition(topic + ".dlq", 0);
        consumer.assign(List.of(dlq));
        consumer.seekToBeginning(List.of(dlq));
        long end = consumer.endOffsets(List.of(dlq)).get(dlq);
        while (consumer.position(dlq) < end) {
          for (var rec : consumer.poll(Duration.ofMillis(500))) {
            out.put(
                new String(rec.key(), java.nio.charset.StandardCharsets.UTF_8),
                new String(
                    rec.headers().lastHeader("anvil.dlq.reason").value(),
                    java.nio.charset.StandardCharsets.UTF_8));
          }
        }
      }
    }
    return out;
  }

  private static dev.anvil.context.grpc.v1.Document proto(Case c) {
    dev.anvil.context.grpc.v1.Document.Builder b =
        dev.anvil.context.grpc.v1.Document.newBuilder()
            .setId(c.id())
            .setVersion(c.newVersion())
            .setBody("new text of " + c.id())
            .setSource("test://" + c.id());
    c.newTags()
        .forEach(
            (tag, v) ->
                b.putTags(
                    tag,
                    TagValues.newBuilder()
                        .addAllValues(
                            v instanceof List<?> l
                                ? l.stream().map(String::valueOf).toList()
                                : List.of(String.valueOf(v)))
                        .build()));
    return b.build();
  }

  private static String grpcShape(IngestOutcome o) {
    return switch (o) {
      case IngestOutcome.Indexed i -> "indexed " + i.version();
      case IngestOutcome.Ignored i -> "ignored " + i.version() + " " + i.indexedVersion();
      case IngestOutcome.Rejected r -> "rejected";
      case IngestOutcome.Denied d -> "denied " + d.policy();
      case IngestOutcome.Deleted d -> "deleted";
      case IngestOutcome.Conflict c -> "conflict";
    };
  }

  private static String grpcShape(IngestResult r) {
    return switch (r.getOutcomeCase()) {
      case INDEXED -> "indexed " + r.getIndexed().getVersion();
      case IGNORED ->
          "ignored " + r.getIgnored().getVersion() + " " + r.getIgnored().getIndexedVersion();
      case REJECTED -> "rejected";
      case DENIED -> "denied " + r.getDenied().getPolicy();
      case DELETED -> "deleted";
      case CONFLICT -> "conflict";
      case OUTCOME_NOT_SET -> "none";
    };
  }
}
