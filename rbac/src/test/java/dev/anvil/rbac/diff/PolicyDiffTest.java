package dev.anvil.rbac.diff;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.rbac.Action;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.RandomPolicies;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rbac.input.PolicySource;
import dev.anvil.rbac.input.RbacException;
import dev.anvil.rbac.schema.DocTags;
import dev.anvil.rbac.schema.TagDefinition;
import dev.anvil.rbac.schema.TagSchema;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * {@link PolicyDiff} over an index held in memory: it equals deciding every document with both
 * sets, counts per bucket, gates on the schema's top level, and costs nothing for equal sets.
 */
class PolicyDiffTest {
  static final PolicyPack EXAMPLE = TestPacks.example();

  /** The example pack with one policy file edited. */
  static PolicySet exampleWith(String file, UnaryOperator<String> edit) {
    List<PolicySource> policies = new ArrayList<>();
    for (Path p : EXAMPLE.policyFiles()) {
      PolicySource s = PolicySource.read(p);
      policies.add(
          p.getFileName().toString().equals(file)
              ? new PolicySource(s.name(), edit.apply(s.content()))
              : s);
    }
    return PolicySet.parse(PolicySource.read(EXAMPLE.schemaFile()), policies);
  }

  /**
   * Department members read their departments' documents up to restricted, not confidential, and
   * company-wide internal material is no longer for every employee.
   */
  static PolicySet widenedDepartmentsNoAllStaff() {
    return exampleWith(
        "00-baseline.yaml",
        yaml -> {
          String widened =
              yaml.replace(
                  "doc.classification <= 'confidential'\n", "doc.classification <= 'restricted'\n");
          int start = widened.indexOf("- id: all-staff-internal");
          int end = widened.indexOf("- id: department-confidential");
          assertThat(widened).isNotEqualTo(yaml);
          assertThat(start).isPositive();
          return widened.substring(0, start) + widened.substring(end);
        });
  }

  static Map<String, Map<String, Object>> corpus() {
    Map<String, Map<String, Object>> docs = new LinkedHashMap<>();
    docs.put("hr-restricted-1", tags("restricted", List.of("hr"), List.of("performance")));
    docs.put("hr-restricted-2", tags("restricted", List.of("hr", "legal"), List.of()));
    docs.put("legal-restricted-1", tags("restricted", List.of("legal"), List.of("litigation")));
    docs.put("eng-restricted-1", tags("restricted", List.of("engineering"), List.of()));
    docs.put("hr-comp-1", tags("restricted", List.of("hr"), List.of("compensation")));
    docs.put("handbook-1", tags("internal", List.of("all-staff"), List.of("handbook")));
    docs.put("handbook-2", tags("internal", List.of("all-staff", "hr"), List.of("benefits")));
    docs.put("public-1", tags("public", List.of("all-staff"), List.of()));
    return docs;
  }

  static Map<String, Object> tags(String classification, List<String> depts, List<String> topics) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("classification", classification);
    t.put("department", depts);
    if (!topics.isEmpty()) {
      t.put("topics", topics);
    }
    return t;
  }

  static InMemoryDiffIndex index(TagSchema schema, Map<String, Map<String, Object>> docs) {
    Map<String, DocTags> validated = new LinkedHashMap<>();
    docs.forEach((id, raw) -> validated.put(id, schema.validate(raw)));
    return new InMemoryDiffIndex(validated);
  }

  static SubjectDiff entry(DiffReport report, String subject) {
    return report.subjects().stream()
        .filter(s -> s.subject().name().equals(subject))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void countsNewlyExposedAndHiddenDocumentsPerClassificationAndDepartment() {
    PolicySet inForce = EXAMPLE.load();
    PolicySet proposed = widenedDepartmentsNoAllStaff();
    List<DiffSubject> subjects = DiffSubjects.of(PrincipalDirectory.load(EXAMPLE.principalsFile()));
    DiffReport report =
        PolicyDiff.compute(
            inForce,
            proposed,
            subjects,
            DiffOptions.defaults(),
            index(proposed.schema(), corpus()));

    assertThat(report.byTags()).containsExactly("classification", "department");
    assertThat(report.gate())
        .hasValueSatisfying(g -> assertThat(g.level()).isEqualTo("restricted"));

    // hannah (hr, cleared for restricted) newly reads HR's restricted documents; compensation she
    // read before. She no longer reads company-wide material outside HR.
    SubjectDiff hannah = entry(report, "hannah");
    assertThat(hannah.exposed().documents()).isEqualTo(2);
    assertThat(hannah.exposed().samples()).containsExactly("hr-restricted-1", "hr-restricted-2");
    assertThat(hannah.exposed().tag("classification").orElseThrow().buckets())
        .containsExactly(
            new Breakdown.Bucket("restricted", 2, List.of("hr-restricted-1", "hr-restricted-2")));
    assertThat(hannah.exposed().tag("department").orElseThrow().buckets())
        .containsExactly(
            new Breakdown.Bucket("hr", 2, List.of("hr-restricted-1", "hr-restricted-2")),
            new Breakdown.Bucket("legal", 1, List.of("hr-restricted-2")));
    assertThat(hannah.hidden().samples()).containsExactly("handbook-1");
    assertThat(hannah.hidden().tag("classification").orElseThrow().documents("internal"))
        .isEqualTo(1);

    // lena (legal) newly reads legal's restricted documents, litigation included, and loses both
    // handbooks.
    SubjectDiff lena = entry(report, "lena");
    assertThat(lena.exposed().samples()).containsExactly("hr-restricted-2", "legal-restricted-1");
    assertThat(lena.hidden().tag("department").orElseThrow().buckets())
        .containsExactly(
            new Breakdown.Bucket("hr", 1, List.of("handbook-2")),
            new Breakdown.Bucket("all-staff", 2, List.of("handbook-1", "handbook-2")));

    // harry is not cleared for restricted: nothing newly exposed.
    assertThat(entry(report, "harry").exposed().isEmpty()).isTrue();
    assertThat(entry(report, "harry").hidden().documents()).isEqualTo(1);

    assertThat(report.gateTripped()).isTrue();
    assertThat(report.gated())
        .filteredOn(s -> s.subject().kind() == DiffSubject.Kind.PRINCIPAL)
        .extracting(s -> s.subject().name())
        .containsExactly("hannah", "lena", "legal-dms-connector");
  }

  @Test
  void samplesAreTheSmallestIdsAndAsManyAsAsked() {
    PolicySet proposed = widenedDepartmentsNoAllStaff();
    DiffReport report =
        PolicyDiff.compute(
            EXAMPLE.load(),
            proposed,
            DiffSubjects.of(PrincipalDirectory.load(EXAMPLE.principalsFile())),
            DiffOptions.defaults().withSamples(1).withTags(List.of("department")),
            index(proposed.schema(), corpus()));
    SubjectDiff lena = entry(report, "lena");
    assertThat(lena.exposed().samples()).containsExactly("hr-restricted-2");
    assertThat(lena.hidden().tag("department").orElseThrow().buckets())
        .containsExactly(
            new Breakdown.Bucket("hr", 1, List.of("handbook-2")),
            new Breakdown.Bucket("all-staff", 2, List.of("handbook-1")));
    // The gate's tag is counted even when not asked for.
    assertThat(report.byTags()).containsExactly("department", "classification");
  }

  @Test
  void identicalPacksGiveAnEmptyDiffWithoutAskingTheIndex() {
    PolicySet inForce = EXAMPLE.load();
    PolicySet proposed = EXAMPLE.load();
    InMemoryDiffIndex index = index(proposed.schema(), corpus());
    PrincipalDirectory people = PrincipalDirectory.load(EXAMPLE.principalsFile());
    DiffReport report =
        PolicyDiff.compute(
            inForce,
            proposed,
            DiffSubjects.of(people),
            DiffOptions.defaults().withActions(List.of(Action.READ, Action.TRAIN, Action.INGEST)),
            index);
    assertThat(report.isEmpty()).isTrue();
    assertThat(report.gateTripped()).isFalse();
    // An entry for every subject and action, each empty.
    assertThat(report.subjects()).hasSize(3 * DiffSubjects.of(people).size());
    assertThat(index.queries.get()).isZero();
  }

  @Test
  void aFilterTooLargeForOneQueryIsRefusedBeforeTheIndexIsAsked() {
    PolicySet inForce = EXAMPLE.load();
    StringBuilder wide = new StringBuilder();
    for (int i = 0; i < 400; i++) {
      wide.append("\n- id: wide-")
          .append(i)
          .append("\n  effect: allow\n  actions: [read]\n  when: \"doc.owner == 'u")
          .append(i)
          .append("' && doc.region == 'eu'\"\n");
    }
    PolicySet proposed = exampleWith("00-baseline.yaml", y -> y + wide);
    InMemoryDiffIndex index = index(proposed.schema(), corpus());
    List<DiffSubject> subjects = DiffSubjects.of(PrincipalDirectory.load(EXAMPLE.principalsFile()));
    assertThatThrownBy(
            () -> PolicyDiff.compute(inForce, proposed, subjects, DiffOptions.defaults(), index))
        .isInstanceOf(FilterTooLargeException.class)
        .hasMessageStartingWith("cannot diff read for " + subjects.getFirst().name() + ": ")
        .hasMessageContaining("at most 1024 conditions, 24 deep");
    assertThat(index.queries.get()).isZero();

    // 300 conditions on one tag are one condition: a list.
    PolicySet listed =
        exampleWith(
            "00-baseline.yaml",
            y ->
                y
                    + "\n- id: listed\n  effect: allow\n  actions: [read]\n  when: \"doc.owner in ["
                    + String.join(
                        ", ",
                        java.util.stream.IntStream.range(0, 300)
                            .mapToObj(i -> "'u" + i + "'")
                            .toList())
                    + "]\"\n");
    assertThat(
            PolicyDiff.compute(inForce, listed, subjects, DiffOptions.defaults(), index).subjects())
        .isNotEmpty();
  }

  @Test
  void theGateIsTheTopLevelOfTheSchemasOrderedTagWhateverItIsCalled() {
    TagSchema schema =
        TagSchema.parse(
            "schema.yaml",
            """
            tags:
              team: {type: set, values: [a, b], required: true}
              sensitivity: {type: ordered, values: [low, mid, high], required: true}
            """);
    assertThat(Gate.top(schema)).contains(new Gate("sensitivity", "high", List.of("high")));
    assertThat(Gate.parse(schema, "mid").levels()).containsExactly("mid", "high");
    assertThat(Gate.parse(schema, "sensitivity=low").levels())
        .containsExactly("low", "mid", "high");
    assertThatThrownBy(() -> Gate.parse(schema, "secret"))
        .isInstanceOf(RbacException.class)
        .hasMessage("gate secret: expected a level of sensitivity [low, mid, high], was 'secret'");
    assertThatThrownBy(() -> Gate.parse(schema, "team=a"))
        .hasMessage("gate team=a: expected an ordered tag of the schema, was 'team'");
    assertThat(PolicyDiff.tagsToCount(schema, List.of())).containsExactly("team", "sensitivity");
    assertThat(Gate.top(TagSchema.parse("s.yaml", "tags: {team: {type: set, values: [a]}}")))
        .isEmpty();
  }

  @Test
  void refusesToCountByATagWithoutListedValues() {
    PolicySet set = EXAMPLE.load();
    InMemoryDiffIndex index = index(set.schema(), corpus());
    List<DiffSubject> none = List.of();
    assertThatThrownBy(
            () ->
                PolicyDiff.compute(
                    set, set, none, DiffOptions.defaults().withTags(List.of("owner")), index))
        .isInstanceOf(RbacException.class)
        .hasMessageContaining("cannot count by 'owner': a principal tag has no listed values");
    assertThatThrownBy(
            () ->
                PolicyDiff.compute(
                    set, set, none, DiffOptions.defaults().withTags(List.of("colour")), index))
        .hasMessageContaining("cannot count by 'colour'");
  }

  /**
   * The diff equals deciding every document with both sets, on random schemas, policy changes,
   * principals and documents (jqwik prints the seed of a failing case).
   */
  @Property(tries = 300)
  void equalsDecidingEveryDocumentWithBothSets(@ForAll long seed) {
    RandomPolicies gen = new RandomPolicies(seed);
    PolicySource schema = new PolicySource("schema.yaml", gen.schemaYaml());
    PolicySet inForce =
        PolicySet.parse(schema, List.of(new PolicySource("old.yaml", gen.policiesYaml())));
    PolicySet proposed =
        PolicySet.parse(schema, List.of(new PolicySource("new.yaml", gen.policiesYaml())));
    Map<String, Map<String, Object>> docs = new LinkedHashMap<>();
    for (int i = 0; i < 40; i++) {
      docs.put("d" + (char) ('a' + i % 26) + i, gen.doc());
    }
    List<DiffSubject> subjects = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      Principal p = gen.principal();
      subjects.add(new DiffSubject("p" + i, DiffSubject.Kind.PRINCIPAL, p, List.of("p" + i)));
    }
    List<String> tags =
        proposed.schema().tags().stream()
            .filter(t -> t.type().hasValues())
            .map(TagDefinition::name)
            .toList();
    List<Action> actions = List.of(Action.READ, Action.INGEST);
    DiffReport report =
        PolicyDiff.compute(
            inForce,
            proposed,
            subjects,
            new DiffOptions(actions, tags, 2, Optional.empty()),
            index(proposed.schema(), docs));
    assertThat(report.subjects())
        .as("seed %d%nold:%n%s%nnew:%n%s", seed, inForce.policies(), proposed.policies())
        .isEqualTo(
            BruteForceDiff.subjects(
                inForce, proposed, subjects, actions, report.byTags(), 2, docs));
  }
}
