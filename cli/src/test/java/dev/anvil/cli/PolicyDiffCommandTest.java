package dev.anvil.cli;

import static dev.anvil.cli.PolicyCommandTest.anvil;
import static dev.anvil.cli.PolicyCommandTest.examplePack;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import dev.anvil.cli.PolicyCommandTest.Run;
import dev.anvil.context.api.Document;
import dev.anvil.context.grpc.v1.PolicyDiffResponse;
import dev.anvil.context.grpc.v1.SubjectDiff;
import dev.anvil.context.index.LuceneIndex;
import dev.anvil.rbac.schema.TagSchema;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code anvil policy diff} in-process, over an index written in a temporary directory: the table,
 * the JSON, and the exit codes CI gates on (0 nothing newly exposed at the gate, 3 newly exposed, 4
 * a pack refused, 2 bad usage).
 */
class PolicyDiffCommandTest {
  @TempDir Path tmp;
  Path index;

  static Map<String, Object> tags(String classification, List<String> depts) {
    return Map.of("classification", classification, "department", depts);
  }

  @BeforeEach
  void writeIndex() {
    index = tmp.resolve("index");
    Map<String, Map<String, Object>> docs = new LinkedHashMap<>();
    docs.put("hr-restricted-1", tags("restricted", List.of("hr")));
    docs.put("hr-restricted-2", tags("restricted", List.of("hr", "legal")));
    docs.put("eng-restricted-1", tags("restricted", List.of("engineering")));
    docs.put("eng-internal-1", tags("internal", List.of("engineering")));
    docs.put("handbook-1", tags("internal", List.of("all-staff")));
    docs.put("handbook-2", tags("internal", List.of("all-staff", "hr")));
    docs.put("public-1", tags("public", List.of("all-staff")));
    TagSchema schema = TagSchema.load(examplePack().resolve("schema.yaml"));
    try (LuceneIndex lucene = LuceneIndex.open(index, "test-model", "test-chunking")) {
      docs.forEach(
          (id, t) -> {
            // Two chunks each: a document is counted once however many chunks it has.
            List<String> chunks = List.of("first part of " + id, "second part of " + id);
            lucene.upsert(
                new Document(id, 1, id, String.join(" ", chunks), "test://" + id, t),
                schema.validate(t),
                chunks,
                new int[] {4, 4},
                new float[][] {{1, 0}, {0, 1}});
          });
      lucene.commit();
    }
  }

  /** A copy of the example pack with one file edited. */
  Path packWith(String name, String file, UnaryOperator<String> edit) throws IOException {
    return packWith(tmp.resolve(name), file, edit);
  }

  /** A copy of the example pack in {@code copy} with one file edited. */
  static Path packWith(Path copy, String file, UnaryOperator<String> edit) throws IOException {
    Path src = examplePack();
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
    return copy;
  }

  /** Departments read up to restricted; company-wide internal material is not for everyone. */
  Path widenedDepartmentsNoAllStaff() throws IOException {
    return packWith(
        "widened",
        "policies/00-baseline.yaml",
        y -> {
          String w =
              y.replace(
                  "doc.classification <= 'confidential'\n", "doc.classification <= 'restricted'\n");
          return w.substring(0, w.indexOf("- id: all-staff-internal"))
              + w.substring(w.indexOf("- id: department-confidential"));
        });
  }

  Run diff(Path proposed, String... more) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "policy",
                "diff",
                examplePack().toString(),
                proposed.toString(),
                "--index",
                index.toString()));
    args.addAll(List.of(more));
    return anvil(args.toArray(String[]::new));
  }

  @Test
  void printsWhatTheChangeExposesAndHidesAndExitsThreeWhenRestrictedDocumentsAreExposed()
      throws IOException {
    Run r = diff(widenedDepartmentsNoAllStaff());
    assertThat(r.err()).isEmpty();
    assertThat(r.exit()).isEqualTo(PolicyDiffCommand.EXPOSES).isEqualTo(3);
    assertThat(r.out())
        .contains("policy diff over the index at " + index)
        .containsPattern("in force: sha256:[0-9a-f]{12}  " + examplePack())
        .contains(
            "documents counted by classification, department; gate: classification >= restricted")
        .containsPattern("SUBJECT +ACTION +EXPOSED +HIDDEN +AT GATE")
        // hannah (hr, cleared for restricted) newly reads HR's two restricted documents and loses
        // the handbook outside HR; harry (not cleared) only loses it.
        .containsPattern("\nhannah +read +2 +1 +2  !\n")
        .containsPattern("\nharry +read +0 +1 +0\n")
        .containsPattern("\nlena +read +1 +2 +1  !\n")
        .contains("hannah · read · newly exposed: 2 documents (hr-restricted-1, hr-restricted-2)")
        .containsPattern("\n  classification +restricted +2  hr-restricted-1, hr-restricted-2\n")
        .containsPattern("\n  department +hr +2  hr-restricted-1, hr-restricted-2\n")
        .containsPattern("\n +legal +1  hr-restricted-2\n")
        .contains("hannah · read · newly hidden: 1 document (handbook-1)")
        .containsPattern("roles=\\[employee, hr-comp-reader\\] groups=\\[hr\\] +read +2 +1 +2  !")
        // hannah's combination (hers alone) sees what she sees: its details are not repeated.
        .contains(
            "roles=[employee, hr-comp-reader] groups=[hr] · read: the same documents as hannah")
        .containsPattern(
            "GATE FAILED: documents at classification >= restricted newly exposed to \\d+"
                + " subjects: hannah \\(read\\), lena \\(read\\), ");
    // alice (engineering) loses both handbooks and gains nothing.
    assertThat(r.out()).containsPattern("\nalice +read +0 +2 +0\n");
  }

  @Test
  void theSamePackIsAnEmptyDiffAndExitsZero() {
    Run r = diff(examplePack(), "--action", "read", "--action", "train");
    assertThat(r.exit()).isZero();
    assertThat(r.out())
        .doesNotContain("SUBJECT")
        .containsPattern("\\d+ of \\d+ subject/action pairs unchanged")
        .contains("no change: every subject may do exactly what it could before")
        .contains("gate passed: nothing newly exposed at classification >= restricted");
  }

  @Test
  void exposingBelowTheGateExitsZeroUnlessTheGateIsLowered() throws IOException {
    Path internalForAll =
        packWith(
            "internal-for-all",
            "policies/00-baseline.yaml",
            y ->
                y.replace(
                    "when: \"doc.classification == 'public'\"",
                    "when: \"doc.classification <= 'internal'\""));
    Run r = diff(internalForAll);
    assertThat(r.exit()).isZero();
    assertThat(r.out())
        // Employees outside engineering newly read its internal page; a connector, every
        // internal document (its own rule reads none of them: they have no source).
        .containsPattern("\nhannah +read +1 +0 +0\n")
        .containsPattern("\ncrm-connector +read +3 +0 +0\n")
        .contains("gate passed");
    Run lowered = diff(internalForAll, "--fail-at", "internal");
    assertThat(lowered.exit()).isEqualTo(3);
    assertThat(lowered.out()).contains("GATE FAILED: documents at classification >= internal");
  }

  @Test
  void jsonIsThePolicyDiffReplyOfTheEngine() throws Exception {
    Run r = diff(widenedDepartmentsNoAllStaff(), "--json", "--samples", "1");
    assertThat(r.exit()).isEqualTo(3);
    PolicyDiffResponse.Builder parsed = PolicyDiffResponse.newBuilder();
    JsonFormat.parser().merge(r.out(), parsed);
    assertThat(parsed.getReport().getGateTripped()).isTrue();
    assertThat(parsed.getReport().getByTagsList()).containsExactly("classification", "department");
    SubjectDiff hannah =
        parsed.getReport().getSubjectsList().stream()
            .filter(s -> s.getName().equals("hannah"))
            .findFirst()
            .orElseThrow();
    assertThat(hannah.getExposed().getDocuments()).isEqualTo(2);
    assertThat(hannah.getExposed().getSamplesList()).containsExactly("hr-restricted-1");
    assertThat(hannah.getExposedAtGate()).isEqualTo(2);
    assertThat(r.out()).contains("\"gate_tripped\": true").contains("\"exposed_at_gate\": \"2\"");
  }

  @Test
  void aBrokenProposedPackIsRefusedWithItsLocationAndExitsFour() throws IOException {
    Path broken =
        packWith(
            "broken",
            "policies/99-broken.yaml",
            y ->
                "- id: typo\n  effect: allow\n  actions: [read]\n"
                    + "  when: \"doc.clasification == 'public'\"\n");
    Run r = diff(broken);
    assertThat(r.exit()).isEqualTo(PolicyDiffCommand.REFUSED).isEqualTo(4);
    assertThat(r.err())
        .contains(
            broken.resolve("policies/99-broken.yaml") + ":4:13: undefined field 'clasification'")
        .contains("refused: the proposed pack (" + broken + "): 1 problem");
    assertThat(r.out()).isEmpty();

    Run json = diff(broken, "--json");
    assertThat(json.exit()).isEqualTo(4);
    assertThat(json.out())
        .contains("\"refused\"")
        .contains("\"line\": 4")
        .contains("\"column\": 13");
  }

  @Test
  void badUsageExitsTwo() throws IOException {
    Run byOwner = diff(examplePack(), "--by", "owner");
    assertThat(byOwner.exit()).isEqualTo(2);
    assertThat(byOwner.err()).contains("cannot count by 'owner'");
    Run admin = diff(examplePack(), "--action", "admin");
    assertThat(admin.exit()).isEqualTo(2);
    assertThat(admin.err()).contains("action admin is not decided on documents");
    Run noIndex =
        anvil(
            "policy",
            "diff",
            examplePack().toString(),
            examplePack().toString(),
            "--index",
            tmp.resolve("nothing-here").toString());
    assertThat(noIndex.exit()).isEqualTo(2);
    assertThat(noIndex.err()).contains("no index at " + tmp.resolve("nothing-here"));
  }
}
