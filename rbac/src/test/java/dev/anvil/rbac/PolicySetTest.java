package dev.anvil.rbac;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.rbac.filter.Filter;
import dev.anvil.rbac.input.PolicySource;
import dev.anvil.rbac.schema.DocTags;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Hand-written cases for the tricky parts of decisions and their compiled filters. */
class PolicySetTest {
  private static final String SCHEMA =
      """
      tags:
        classification: {type: ordered, values: [public, internal, confidential, restricted], required: true}
        department: {type: set, values: [engineering, hr, finance], required: true}
        topics: {type: set, values: [compensation, roadmap]}
        owner: {type: principal}
      principal_attributes:
        clearance: {}
        projects: {multi_valued: true}
      """;

  private static PolicySet policies(String yaml) {
    return PolicySet.parse(
        new PolicySource("schema.yaml", SCHEMA), List.of(new PolicySource("p.yaml", yaml)));
  }

  private static Principal principal(
      Set<String> roles, Set<String> groups, Map<String, String> attrs) {
    return new Principal("alice", roles, groups, Principal.single(attrs));
  }

  /** Decides, and checks that the compiled filter agrees, so every case here tests both. */
  private static Decision decide(PolicySet set, Principal p, Map<String, ?> tags) {
    DocTags doc = set.schema().validate(tags);
    Decision d = set.decide(p, Action.READ, doc);
    assertThat(set.compile(p, Action.READ).filter().matches(doc))
        .as("filter agrees with decision %s on %s", d, doc)
        .isEqualTo(d.permitted());
    return d;
  }

  @Test
  void denyOverridesEveryAllow() {
    PolicySet set =
        policies(
            """
            - {id: everyone, effect: allow, actions: [read], when: "true"}
            - {id: also-everyone, effect: allow, actions: [read], when: "true"}
            - id: no-compensation
              effect: deny
              actions: [read]
              when: "'compensation' in doc.topics"
            """);
    Principal p = principal(Set.of(), Set.of(), Map.of());
    assertThat(decide(set, p, Map.of("classification", "public", "department", "hr")))
        .isEqualTo(new Decision.Permit(List.of("everyone", "also-everyone"), set.version()));
    assertThat(
            decide(
                set,
                p,
                Map.of(
                    "classification",
                    "public",
                    "department",
                    "hr",
                    "topics",
                    List.of("compensation"))))
        .isEqualTo(new Decision.Deny("no-compensation", set.version()));
  }

  @Test
  void defaultDenyWhenNoAllowApplies() {
    PolicySet set =
        policies(
            "- {id: hr-only, effect: allow, actions: [read], when: \"'hr' in doc.department\"}");
    Decision d =
        decide(
            set,
            principal(Set.of(), Set.of(), Map.of()),
            Map.of("classification", "public", "department", "finance"));
    assertThat(d).isEqualTo(new Decision.Deny(Decision.DEFAULT_DENY, set.version()));
    assertThat(
            set.decide(
                Principal.of("x"),
                Action.INGEST,
                set.schema().validate(Map.of("classification", "public", "department", "hr"))))
        .as("no policy governs ingest")
        .isEqualTo(new Decision.Deny(Decision.DEFAULT_DENY, set.version()));
  }

  @Test
  void aPrincipalInNoGroupMatchesNoDepartment() {
    PolicySet set =
        policies(
            "- {id: dept, effect: allow, actions: [read], when: \"principal.groups.exists(g, g in doc.department)\"}");
    Principal nobody = principal(Set.of(), Set.of(), Map.of());
    assertThat(set.compile(nobody, Action.READ).filter()).isEqualTo(Filter.none());
    assertThat(
            decide(set, nobody, Map.of("classification", "public", "department", "hr")).permitted())
        .isFalse();
  }

  @Test
  void missingOptionalTagsMakeAllowsFailAndDeniesApply() {
    PolicySet set =
        policies(
            """
            - {id: owners, effect: allow, actions: [read], when: "doc.owner == principal.subject"}
            - {id: all, effect: allow, actions: [read], when: "doc.classification == 'public'"}
            - {id: not-others, effect: deny, actions: [read], when: "doc.owner != principal.subject"}
            """);
    Principal alice = principal(Set.of(), Set.of(), Map.of());
    // No owner tag: the allow is false, the deny cannot be evaluated and so applies (fail closed).
    assertThat(decide(set, alice, Map.of("classification", "public", "department", "hr")))
        .isEqualTo(new Decision.Deny("not-others", set.version()));
    assertThat(
            decide(
                set,
                alice,
                Map.of("classification", "internal", "department", "hr", "owner", "alice")))
        .isEqualTo(new Decision.Permit(List.of("owners"), set.version()));
    assertThat(
            decide(
                set, alice, Map.of("classification", "public", "department", "hr", "owner", "bob")))
        .isEqualTo(new Decision.Deny("not-others", set.version()));
  }

  @Test
  void hasGuardsMakeOptionalTagsSafe() {
    PolicySet set =
        policies(
            """
            - {id: all, effect: allow, actions: [read], when: "true"}
            - {id: not-others, effect: deny, actions: [read], when: "has(doc.owner) && doc.owner != principal.subject"}
            """);
    Principal alice = principal(Set.of(), Set.of(), Map.of());
    assertThat(
            decide(set, alice, Map.of("classification", "public", "department", "hr")).permitted())
        .isTrue();
    assertThat(
            decide(
                    set,
                    alice,
                    Map.of("classification", "public", "department", "hr", "owner", "bob"))
                .permitted())
        .isFalse();
  }

  @Test
  void orderedComparisonsFollowTheSchemaOrderNotTheAlphabet() {
    PolicySet set =
        policies(
            "- {id: cleared, effect: allow, actions: [read], when: \"doc.classification <= principal.attributes.clearance\"}");
    Principal internal = principal(Set.of(), Set.of(), Map.of("clearance", "internal"));
    // Alphabetically "confidential" < "internal"; by the schema it is above.
    assertThat(
            decide(set, internal, Map.of("classification", "confidential", "department", "hr"))
                .permitted())
        .isFalse();
    assertThat(
            decide(set, internal, Map.of("classification", "internal", "department", "hr"))
                .permitted())
        .isTrue();
    assertThat(
            decide(set, internal, Map.of("classification", "public", "department", "hr"))
                .permitted())
        .isTrue();
    assertThat(set.compile(internal, Action.READ).filter())
        .isEqualTo(new Filter.Range("classification", 0, 1, "public", "internal"));
    // A clearance that is not a level, or none at all, permits nothing.
    Principal bogus = principal(Set.of(), Set.of(), Map.of("clearance", "top-secret"));
    assertThat(set.compile(bogus, Action.READ).filter()).isEqualTo(Filter.none());
    assertThat(set.compile(principal(Set.of(), Set.of(), Map.of()), Action.READ).filter())
        .isEqualTo(Filter.none());
  }

  @Test
  void equalityWithAnOrderedTagIsTextEqualityAsInCel() {
    // Only < <= > >= compare ranks; CEL's == on text is false (not an error) for a non-level, so
    // a deny on it does not apply.
    PolicySet set =
        policies(
            """
            - {id: all, effect: allow, actions: [read], when: "true"}
            - {id: same, effect: deny, actions: [read], when: "doc.classification == principal.attributes.clearance"}
            """);
    Principal bogus = principal(Set.of(), Set.of(), Map.of("clearance", "top-secret"));
    Principal internal = principal(Set.of(), Set.of(), Map.of("clearance", "internal"));
    Map<String, String> doc = Map.of("classification", "internal", "department", "hr");
    assertThat(decide(set, bogus, doc).permitted()).isTrue();
    assertThat(decide(set, internal, doc).permitted()).isFalse();
    assertThat(
            decide(set, internal, Map.of("classification", "public", "department", "hr"))
                .permitted())
        .isTrue();
  }

  @Test
  void anElementThatIsNotTextIsInNoListAsInCel() {
    // 1 in [] type-checks (the empty list's element type is free); CEL says false, not an error.
    PolicySet set =
        policies(
            "- {id: a, effect: allow, actions: [read], when: \"!(1 in []) && !(true in []) && !([] in [])\"}");
    assertThat(
            decide(
                    set,
                    principal(Set.of(), Set.of(), Map.of()),
                    Map.of("classification", "public", "department", "hr"))
                .permitted())
        .isTrue();
  }

  @Test
  void fiveHundredGroupsCompileToOneAnyOf() {
    PolicySet set =
        policies(
            "- {id: dept, effect: allow, actions: [read], when: \"principal.groups.exists(g, g in doc.department)\"}");
    Set<String> groups = new HashSet<>();
    for (int i = 0; i < 500; i++) {
      groups.add("group-" + i);
    }
    groups.add("hr");
    Filter f = set.compile(principal(Set.of(), groups, Map.of()), Action.READ).filter();
    assertThat(f).isInstanceOf(Filter.AnyOf.class);
    assertThat(((Filter.AnyOf) f).values()).hasSize(501).contains("hr");
  }

  @Test
  void sameInputsGiveTheSameAnswerAndTheVersionFollowsContent() {
    String yaml = "- {id: a, effect: allow, actions: [read], when: \"'hr' in doc.department\"}";
    PolicySet one = policies(yaml);
    PolicySet two = policies(yaml);
    Principal p = principal(Set.of("r"), Set.of("hr"), Map.of());
    assertThat(one.version()).isEqualTo(two.version()).startsWith("sha256:");
    assertThat(one.compile(p, Action.READ)).isEqualTo(two.compileUncached(p, Action.READ));
    assertThat(policies(yaml + "\n# comment").version()).isNotEqualTo(one.version());
  }

  @Test
  void compiledFiltersAreCachedPerPrincipalAndAction() {
    PolicySet set =
        policies("- {id: a, effect: allow, actions: [read], when: \"'hr' in principal.groups\"}");
    Principal p = principal(Set.of(), Set.of("hr"), Map.of());
    CompiledFilter first = set.compile(p, Action.READ);
    assertThat(set.compile(principal(Set.of(), Set.of("hr"), Map.of()), Action.READ))
        .isSameAs(first);
    assertThat(set.cacheStats()).isEqualTo(new PolicySet.CacheStats(1, 1));
    assertThat(first.filter()).isEqualTo(Filter.all());
    assertThat(first.policyVersion()).isEqualTo(set.version());
  }

  @Test
  void explanationShowsEachTestAndWhyADenyApplied() {
    PolicySet set = TestPacks.example().load();
    Principal alice =
        PrincipalDirectory.load(TestPacks.example().principalsFile()).find("alice").orElseThrow();
    Explanation ex =
        set.explain(
            alice,
            Action.READ,
            set.schema()
                .validate(
                    Map.of(
                        "classification",
                        "confidential",
                        "department",
                        List.of("hr"),
                        "topics",
                        List.of("compensation"))));
    assertThat(ex.decision())
        .isEqualTo(new Decision.Deny("hr-compensation-only-for-comp-readers", set.version()));
    Explanation.PolicyTrace deny =
        ex.policies().stream()
            .filter(t -> t.policy().id().equals("hr-compensation-only-for-comp-readers"))
            .findFirst()
            .orElseThrow();
    assertThat(deny.applies()).isTrue();
    assertThat(deny.checks())
        .contains(
            new Explanation.Check("\"compensation\" in doc.topics", "true"),
            new Explanation.Check("\"hr-comp-reader\" in principal.roles", "false"));
  }

  private static Principal withAttributes(Map<String, List<String>> attrs) {
    return new Principal("alice", Set.of(), Set.of(), attrs);
  }

  @Test
  void aMultiValuedAttributeIsAListWhateverTheOrderOfItsValues() {
    PolicySet set =
        policies(
            """
            - id: project-members
              effect: allow
              actions: [read]
              when: "doc.department.exists(d, d in principal.attributes.projects)"
            """);
    Map<String, Object> hr = Map.of("classification", "public", "department", "hr");
    Map<String, Object> eng = Map.of("classification", "public", "department", "engineering");
    Principal one = withAttributes(Map.of("projects", List.of("hr", "finance")));
    Principal other = withAttributes(Map.of("projects", List.of("finance", "hr", "hr")));
    assertThat(one).isEqualTo(other);
    assertThat(decide(set, one, hr).permitted()).isTrue();
    assertThat(decide(set, other, hr).permitted()).isTrue();
    assertThat(decide(set, one, eng).permitted()).isFalse();
    assertThat(decide(set, withAttributes(Map.of()), hr).permitted()).isFalse();
  }

  @Test
  void severalValuesOfASingleValuedAttributeDecideNothing() {
    PolicySet set =
        policies(
            """
            - id: cleared
              effect: allow
              actions: [read]
              when: "doc.classification <= principal.attributes.clearance"
            """);
    Map<String, Object> pub = Map.of("classification", "public", "department", "hr");
    // Neither value is picked: the condition is an error, so the policy does not apply.
    for (List<String> values :
        List.of(List.of("internal", "restricted"), List.of("restricted", "internal"))) {
      Principal p = withAttributes(Map.of("clearance", values));
      assertThat(decide(set, p, pub).permitted()).as("%s", values).isFalse();
    }
    assertThat(
            decide(set, withAttributes(Map.of("clearance", List.of("internal"))), pub).permitted())
        .isTrue();
  }
}
