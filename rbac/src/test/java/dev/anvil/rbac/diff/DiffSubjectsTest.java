package dev.anvil.rbac.diff;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rbac.schema.InvalidTagsException;
import dev.anvil.rbac.schema.TagSchema;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who a policy diff is computed for: named principals, then role/group combinations. */
class DiffSubjectsTest {
  @TempDir Path tmp;

  private PrincipalDirectory directory(String name, String yaml) throws IOException {
    Path file = tmp.resolve(name);
    Files.writeString(file, yaml);
    return PrincipalDirectory.load(file);
  }

  @Test
  void examplePackGivesEachPrincipalInFileOrderThenEachCombination() {
    PrincipalDirectory people = PrincipalDirectory.load(TestPacks.example().principalsFile());
    List<DiffSubject> subjects = DiffSubjects.of(people);

    List<DiffSubject> named =
        subjects.stream().filter(s -> s.kind() == DiffSubject.Kind.PRINCIPAL).toList();
    assertThat(named).extracting(DiffSubject::name).containsExactlyElementsOf(people.names());
    assertThat(subjects.subList(0, named.size())).isEqualTo(named);
    assertThat(named.getFirst().principal()).isEqualTo(people.find("alice").orElseThrow());

    // alice's roles and groups are hers alone: a combination named by them, standing for her.
    DiffSubject engineers =
        subjects.stream()
            .filter(s -> s.name().equals("roles=[employee] groups=[engineering]"))
            .findFirst()
            .orElseThrow();
    assertThat(engineers.kind()).isEqualTo(DiffSubject.Kind.COMBINATION);
    assertThat(engineers.principals()).containsExactly("alice");
    assertThat(engineers.principal().attributes())
        .isEqualTo(people.find("alice").orElseThrow().attributes());
    assertThat(engineers.principal().subject()).isNotEqualTo("alice");

    // Four connectors share role ingest-service and no group, each with its own source: one
    // subject each, named with the attributes that tell them apart.
    assertThat(subjects)
        .extracting(DiffSubject::name)
        .contains(
            "roles=[ingest-service] groups=[] attributes={clearance=[restricted], source=[none]}",
            "roles=[ingest-service] groups=[] attributes={clearance=[restricted], source=[crm]}");
  }

  @Test
  void principalsSharingAProfileAreOneCombination() throws IOException {
    PrincipalDirectory people =
        directory(
            "p.yaml",
            """
            ann: {roles: [employee], groups: [hr], attributes: {clearance: internal}}
            ben: {roles: [employee], groups: [hr], attributes: {clearance: internal}}
            """);
    List<DiffSubject> combinations =
        DiffSubjects.of(people).stream()
            .filter(s -> s.kind() == DiffSubject.Kind.COMBINATION)
            .toList();
    assertThat(combinations).hasSize(1);
    assertThat(combinations.getFirst().name()).isEqualTo("roles=[employee] groups=[hr]");
    assertThat(combinations.getFirst().principals()).containsExactly("ann", "ben");
  }

  @Test
  void inForcePrincipalsThatTheProposedPackDropsOrRedefinesAreDiffedToo() throws IOException {
    PrincipalDirectory proposed =
        directory(
            "new.yaml",
            """
            ann: {roles: [employee, manager], groups: [hr]}
            bob: {roles: [employee], groups: [sales]}
            """);
    PrincipalDirectory inForce =
        directory(
            "old.yaml",
            """
            ann: {roles: [employee], groups: [hr]}
            bob: {roles: [employee], groups: [sales]}
            cid: {roles: [contractor], groups: [sales]}
            """);
    List<DiffSubject> subjects = DiffSubjects.of(proposed, inForce);
    assertThat(subjects)
        .filteredOn(s -> s.kind() == DiffSubject.Kind.PRINCIPAL)
        .extracting(DiffSubject::name)
        .containsExactly("ann", "bob", "ann (in force)", "cid");
    assertThat(subjects.get(2).principal().roles()).containsExactly("employee");
    assertThat(subjects.get(2).principals()).containsExactly("ann");
    assertThat(subjects)
        .filteredOn(s -> s.kind() == DiffSubject.Kind.COMBINATION)
        .extracting(DiffSubject::name)
        .containsExactly(
            "roles=[employee, manager] groups=[hr]",
            "roles=[employee] groups=[sales]",
            "roles=[employee] groups=[hr]",
            "roles=[contractor] groups=[sales]");
  }

  @Test
  void noDocumentCanNameACombinationItsOwner() {
    TagSchema schema = TestPacks.example().load().schema();
    assertThatThrownBy(
            () ->
                schema.validate(
                    Map.of(
                        "classification",
                        "public",
                        "department",
                        List.of("hr"),
                        "owner",
                        DiffSubjects.ANONYMOUS)))
        .isInstanceOf(InvalidTagsException.class)
        .hasMessageContaining("owner");
  }
}
