package dev.anvil.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** A model made from a model carries the base model's lineage as well as its data's. */
class GovernanceTest {
  static final PolicySet POLICIES = PolicyStore.open(TestPacks.example()).current();
  static final PrincipalDirectory PEOPLE =
      PrincipalDirectory.load(TestPacks.example().principalsFile());

  /** An ML engineer of engineering cleared for restricted material. */
  static final Principal CLEARED =
      new Principal(
          "rhea",
          java.util.Set.of("employee", "ml-engineer"),
          java.util.Set.of("engineering"),
          Map.of("clearance", java.util.List.of("restricted")));

  static Principal who(String name) {
    return PEOPLE.find(name).orElseThrow();
  }

  static Governance.Lineage data(Map<String, Object> tags) {
    return new Governance.Lineage(new TreeMap<>(tags));
  }

  @Test
  void theNewLineageIsTheHighestLevelAndTheUnionOfEveryOtherTag() {
    Governance.Lineage out =
        Governance.derived(
            POLICIES,
            who("mia"),
            data(Map.of("classification", "internal", "department", List.of("engineering"))),
            Map.of(
                "classification", "confidential",
                "department", List.of("engineering", "sales"),
                "topics", List.of("roadmap")),
            "base");
    assertThat(out.tags())
        .containsEntry("classification", "confidential")
        .containsEntry("department", List.of("engineering", "sales"))
        .containsEntry("topics", List.of("roadmap"));
  }

  @Test
  void aModelDerivedFromARestrictedModelIsRestrictedAndOnlyForThoseClearedForIt() {
    Map<String, Object> restricted =
        Map.of("classification", "restricted", "department", List.of("engineering"));
    // mia (clearance confidential) may not build on it at all ...
    assertThatThrownBy(
            () ->
                Governance.derived(
                    POLICIES,
                    who("mia"),
                    data(Map.of("classification", "public", "department", List.of("engineering"))),
                    restricted,
                    "secret-base"))
        .isInstanceOf(TrainingDeniedException.class)
        .hasMessageContaining("mia may not build on base model secret-base: denied by policy");
    // ... and what the data adds never lowers the level.
    for (String level : List.of("public", "internal", "confidential", "restricted")) {
      Governance.Lineage base =
          data(Map.of("classification", level, "department", List.of("engineering")));
      Map<String, Object> merged =
          Governance.derived(POLICIES, CLEARED, base, restricted, "secret-base").tags();
      assertThat(merged).containsEntry("classification", "restricted");
    }
  }

  @Test
  void aBaseModelWithTagsOutsideTheSchemaIsRefused() {
    assertThatThrownBy(
            () ->
                Governance.derived(
                    POLICIES,
                    who("mia"),
                    data(Map.of("classification", "internal")),
                    Map.of("classification", "top-secret"),
                    "odd-base"))
        .isInstanceOf(TrainingDeniedException.class)
        .hasMessageContaining("base model odd-base");
  }
}
