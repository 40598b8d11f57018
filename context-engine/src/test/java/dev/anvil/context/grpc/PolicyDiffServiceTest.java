package dev.anvil.context.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Document;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.embed.HashEmbedder;
import dev.anvil.context.grpc.v1.DiffBucket;
import dev.anvil.context.grpc.v1.PolicyDiffReport;
import dev.anvil.context.grpc.v1.PolicyDiffRequest;
import dev.anvil.context.grpc.v1.PolicyDiffResponse;
import dev.anvil.context.grpc.v1.SubjectDiff;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rpc.GrpcServer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PolicyDiff over a real gRPC server on 127.0.0.1: an admin sends a proposed pack as content and
 * reads what it would expose and hide over the engine's index; a caller the policies in force do
 * not permit {@code admin} is refused, whatever the proposal grants; a broken pack comes back as
 * its problems at file:line:column; every call is audited.
 */
class PolicyDiffServiceTest {
  @TempDir Path data;
  ContextEngine engine;
  AuditLog audit;
  GrpcServer server;
  DevTokenIssuer issuer;
  PrincipalDirectory people;

  static Map<String, Object> tags(String classification, List<String> depts) {
    return Map.of("classification", classification, "department", depts);
  }

  /** The engine under test, over the example pack (the embedded index here). */
  ContextEngine open(Path dir) {
    return ContextEngine.open(
        dir, PolicyStore.open(TestPacks.example()), HashEmbedder.of("hash", 32));
  }

  @BeforeEach
  void start() {
    people = PrincipalDirectory.load(TestPacks.example().principalsFile());
    engine = open(data.resolve("index"));
    engine.ingest(
        people.find("kafka-connector").orElseThrow(),
        List.of(
            doc("hr-restricted-1", tags("restricted", List.of("hr"))),
            doc("hr-restricted-2", tags("restricted", List.of("hr", "legal"))),
            doc("eng-restricted-1", tags("restricted", List.of("engineering"))),
            doc("handbook-1", tags("internal", List.of("all-staff"))),
            doc("public-1", tags("public", List.of("all-staff")))));
    issuer = DevTokenIssuer.openOrCreate(data.resolve("dev-key.json"), Clock.systemUTC());
    audit = AuditLog.open(data.resolve("audit.jsonl"));
    server = ContextServer.start("127.0.0.1", 0, engine, issuer.verifier(), audit);
  }

  static Document doc(String id, Map<String, Object> tags) {
    return new Document(id, 1, id, "The text of " + id + ".", "test://" + id, tags);
  }

  @AfterEach
  void stop() {
    server.close();
    engine.close();
    audit.close();
  }

  ContextClient client(String who) {
    String token = issuer.mint(people.find(who).orElseThrow(), "test", Duration.ofMinutes(5));
    return ContextClient.connect("127.0.0.1", server.port(), () -> token, Duration.ofSeconds(20));
  }

  /** A copy of the example pack with one file edited. */
  PolicyPack examplePackWith(String file, UnaryOperator<String> edit) throws IOException {
    Path src = TestPacks.example().dir();
    Path copy = Files.createTempDirectory(data, "proposed-");
    try (Stream<Path> files = Files.walk(src)) {
      for (Path f : files.toList()) {
        Path target = copy.resolve(src.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target);
        }
      }
    }
    Path edited = copy.resolve(file);
    Files.writeString(edited, edit.apply(Files.exists(edited) ? Files.readString(edited) : ""));
    return new PolicyPack(copy);
  }

  /** Departments read their documents up to restricted, not confidential. */
  PolicyPack widened() throws IOException {
    return examplePackWith(
        "policies/00-baseline.yaml",
        y ->
            y.replace(
                "doc.classification <= 'confidential'\n", "doc.classification <= 'restricted'\n"));
  }

  static PolicyDiffRequest request(PolicyPack pack) {
    return PolicyDiffMessages.request(pack, Optional.empty()).build();
  }

  static StatusRuntimeException refused(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("expected the call to be refused");
  }

  static SubjectDiff entry(PolicyDiffReport report, String name) {
    return report.getSubjectsList().stream()
        .filter(s -> s.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void anAdminSeesWhatAProposedPackWouldExposeOverTheEnginesIndex() throws IOException {
    PolicyPack proposed = widened();
    PolicyDiffResponse res;
    try (ContextClient sam = client("sam")) {
      res = sam.policyDiff(request(proposed));
    }
    assertThat(res.hasReport()).isTrue();
    PolicyDiffReport report = res.getReport();
    assertThat(report.getInForceVersion()).isEqualTo(engine.policies().current().version());
    assertThat(report.getProposedVersion()).isEqualTo(proposed.load().version());
    assertThat(report.getByTagsList()).containsExactly("classification", "department");
    assertThat(report.getGate().getLevel()).isEqualTo("restricted");
    assertThat(report.getGateTripped()).isTrue();

    SubjectDiff hannah = entry(report, "hannah");
    assertThat(hannah.getKind()).isEqualTo("principal");
    assertThat(hannah.getAction()).isEqualTo("read");
    assertThat(hannah.getExposed().getDocuments()).isEqualTo(2);
    assertThat(hannah.getExposedAtGate()).isEqualTo(2);
    assertThat(hannah.getExposed().getSamplesList())
        .containsExactly("hr-restricted-1", "hr-restricted-2");
    assertThat(hannah.getExposed().getByTag(1).getBucketsList())
        .containsExactly(
            DiffBucket.newBuilder()
                .setValue("hr")
                .setDocuments(2)
                .addSamples("hr-restricted-1")
                .addSamples("hr-restricted-2")
                .build(),
            DiffBucket.newBuilder()
                .setValue("legal")
                .setDocuments(1)
                .addSamples("hr-restricted-2")
                .build());
    assertThat(hannah.getHidden().getDocuments()).isZero();
    assertThat(entry(report, "alice").getExposed().getDocuments()).isZero();
    SubjectDiff hrCombination = entry(report, "roles=[employee, hr-comp-reader] groups=[hr]");
    assertThat(hrCombination.getKind()).isEqualTo("combination");
    assertThat(hrCombination.getPrincipalsList()).containsExactly("hannah");
    assertThat(hrCombination.getAttributesMap().get("clearance").getValuesList())
        .containsExactly("restricted");

    assertThat(Files.readAllLines(data.resolve("audit.jsonl")))
        .filteredOn(l -> l.contains("\"action\":\"policy_diff\""))
        .singleElement()
        .satisfies(
            l ->
                assertThat(l)
                    .contains("\"sam\"")
                    .contains(report.getProposedVersion())
                    .contains("\"hr-restricted-2\"")
                    .contains("\"OK\""));
  }

  @Test
  void theSamePackGivesAnEmptyReport() {
    try (ContextClient sam = client("sam")) {
      PolicyDiffReport report = sam.policyDiff(request(TestPacks.example())).getReport();
      assertThat(report.getProposedVersion()).isEqualTo(report.getInForceVersion());
      assertThat(report.getSubjectsList())
          .isNotEmpty()
          .allSatisfy(
              s -> {
                assertThat(s.getExposed().getDocuments()).isZero();
                assertThat(s.getHidden().getDocuments()).isZero();
              });
      assertThat(report.getGateTripped()).isFalse();
    }
  }

  @Test
  void aCallerTheRulesInForceDoNotMakeAdminIsRefusedWhateverTheProposalGrants() throws IOException {
    // The proposal makes everyone an admin: it is not in force, so it decides nothing.
    PolicyPack everyoneAdmin =
        examplePackWith(
            "policies/30-ingest-train-admin.yaml",
            y -> y.replace("when: \"'security-admin' in principal.roles\"", "when: \"true\""));
    try (ContextClient alice = client("alice")) {
      StatusRuntimeException e = refused(() -> alice.policyDiff(request(everyoneAdmin)));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(e.getStatus().getDescription())
          .isEqualTo("alice may not review policy changes (admin): denied by default-deny");

      // Nor does a broken proposal tell a non-admin anything about itself.
      PolicyDiffRequest broken =
          request(everyoneAdmin).toBuilder()
              .addPolicies(
                  dev.anvil.context.grpc.v1.PolicyFile.newBuilder()
                      .setName("policies/99-broken.yaml")
                      .setContent("- id: [\n"))
              .build();
      assertThat(refused(() -> alice.policyDiff(broken)).getStatus().getCode())
          .isEqualTo(Status.Code.PERMISSION_DENIED);
    }
    assertThat(Files.readAllLines(data.resolve("audit.jsonl")))
        .filteredOn(l -> l.contains("\"action\":\"policy_diff\""))
        .hasSize(2)
        .allSatisfy(l -> assertThat(l).contains("\"alice\"").contains("\"PERMISSION_DENIED\""));
  }

  @Test
  void aBrokenProposedPackIsAnsweredWithItsProblemsAtFileLineColumn() throws IOException {
    PolicyPack broken =
        examplePackWith(
            "policies/99-broken.yaml",
            y ->
                "- id: typo\n  effect: allow\n  actions: [read]\n"
                    + "  when: \"doc.clasification == 'public'\"\n");
    try (ContextClient sam = client("sam")) {
      PolicyDiffResponse res = sam.policyDiff(request(broken));
      assertThat(res.hasRefused()).isTrue();
      assertThat(res.getRefused().getProblemsList())
          .singleElement()
          .satisfies(
              p -> {
                assertThat(p.getFile()).isEqualTo("policies/99-broken.yaml");
                assertThat(p.getLine()).isEqualTo(4);
                assertThat(p.getColumn()).isEqualTo(13);
                assertThat(p.getMessage()).startsWith("undefined field 'clasification'");
              });
    }
  }

  /**
   * Values and ids that mean something to a query syntax (a wildcard, a boolean operator, JSON that
   * would close the filter) are matched as terms: the probe exposes exactly the documents holding
   * those literal owners, and its samples are their ids as they were written.
   */
  @Test
  void valuesAndIdsSpecialToQuerySyntaxAreMatchedAsTerms() throws IOException {
    Map<String, Object> legal = tags("confidential", List.of("legal"));
    String json = "\"}}]},{\"match_all\":{}}";
    engine.ingest(
        people.find("kafka-connector").orElseThrow(),
        List.of(
            doc("a OR b", with(legal, "owner", "*")),
            doc("x*", with(legal, "owner", "zz")),
            doc("id:\"q\" \\ (", with(legal, "owner", json)),
            doc("{\"match_all\":{}}", with(legal, "owner", "a OR b"))));
    PolicyPack probe =
        examplePackWith(
            "policies/99-probe.yaml",
            y ->
                "- id: probe\n  effect: allow\n  actions: [read]\n  when: |\n"
                    + "    has(doc.owner) && doc.owner in ['*', '"
                    + json
                    + "']\n");
    try (ContextClient sam = client("sam")) {
      PolicyDiffReport report = sam.policyDiff(request(probe)).getReport();
      SubjectDiff alice = entry(report, "alice");
      assertThat(alice.getExposed().getDocuments()).isEqualTo(2);
      assertThat(alice.getExposed().getSamplesList()).containsExactly("a OR b", "id:\"q\" \\ (");
      assertThat(alice.getExposed().getByTag(1).getBucketsList())
          .containsExactly(
              DiffBucket.newBuilder()
                  .setValue("legal")
                  .setDocuments(2)
                  .addSamples("a OR b")
                  .addSamples("id:\"q\" \\ (")
                  .build());
      assertThat(alice.getHidden().getDocuments()).isZero();
    }
  }

  static Map<String, Object> with(Map<String, Object> tags, String tag, Object value) {
    Map<String, Object> out = new java.util.LinkedHashMap<>(tags);
    out.put(tag, value);
    return out;
  }

  /**
   * A proposal whose filter would be too wide or too deep for one query is refused, naming the
   * subject and the limit, before the index is asked; the engine then answers the next diff.
   */
  @Test
  void aProposalTooLargeForOneQueryIsRefusedNamingTheLimit() throws IOException {
    StringBuilder wide = new StringBuilder();
    for (int i = 0; i < 600; i++) {
      wide.append("- id: wide-")
          .append(i)
          .append("\n  effect: allow\n  actions: [read]\n  when: \"doc.owner == 'u")
          .append(i)
          .append("' && doc.region == 'eu'\"\n");
    }
    StringBuilder deep = new StringBuilder("doc.owner == 'd0'");
    for (int i = 1; i < 40; i++) {
      deep.insert(0, "doc.owner == 'd" + i + "' " + (i % 2 == 0 ? "&&" : "||") + " (").append(')');
    }
    for (String policy :
        List.of(
            wide.toString(),
            "- id: deep\n  effect: allow\n  actions: [read]\n  when: \"" + deep + "\"\n")) {
      PolicyPack huge = examplePackWith("policies/99-huge.yaml", y -> policy);
      try (ContextClient sam = client("sam")) {
        StatusRuntimeException e = refused(() -> sam.policyDiff(request(huge)));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription())
            .startsWith("policies: cannot diff read for ")
            .contains("at most 1024 conditions, 24 deep");
        assertThat(sam.policyDiff(request(widened())).getReport().getGateTripped()).isTrue();
      }
    }
  }

  @Test
  void requestsBeyondTheLimitsAreRefusedNamingTheField() throws IOException {
    PolicyDiffRequest ok = request(TestPacks.example());
    try (ContextClient sam = client("sam")) {
      for (var bad :
          Map.of(
                  "actions: expected actions decided on documents",
                  ok.toBuilder().addActions("admin").build(),
                  "samples: samples must be 0 to 100, was 1000",
                  ok.toBuilder().setSamples(1000).build(),
                  "by_tags: cannot count by 'owner'",
                  ok.toBuilder().addByTags("owner").build(),
                  "schema: expected the proposed pack's schema.yaml",
                  ok.toBuilder().clearSchema().build(),
                  "gate: gate secret: expected a level of classification",
                  ok.toBuilder().setGate("secret").build(),
                  "policies: expected 1 to 256 policy files, was 0",
                  ok.toBuilder().clearPolicies().build())
              .entrySet()) {
        StatusRuntimeException e = refused(() -> sam.policyDiff(bad.getValue()));
        assertThat(e.getStatus().getCode())
            .as(bad.getKey())
            .isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).startsWith(bad.getKey());
      }
    }
  }
}
