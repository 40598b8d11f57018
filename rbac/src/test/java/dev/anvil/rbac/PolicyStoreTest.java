package dev.anvil.rbac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.rbac.input.PolicyLoadException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyStoreTest {
  @TempDir Path dir;

  private PolicyPack pack(String policies) throws IOException {
    Files.writeString(
        dir.resolve("schema.yaml"),
        "tags:\n  department: {type: set, values: [hr, engineering], required: true}\n");
    Files.createDirectories(dir.resolve("policies"));
    Files.writeString(dir.resolve("policies/p.yaml"), policies);
    return new PolicyPack(dir);
  }

  private static final String HR_ONLY =
      "- {id: hr, effect: allow, actions: [read], when: \"'hr' in doc.department\"}\n";

  @Test
  void aBrokenReloadIsRefusedAndThePolicyInForceStays() throws IOException {
    PolicyStore store = PolicyStore.open(pack(HR_ONLY));
    String version = store.current().version();
    Files.writeString(
        dir.resolve("policies/p.yaml"),
        HR_ONLY + "- {id: bad, effect: allow, actions: [read], when: \"doc.nope\"}\n");

    PolicyStore.ReloadResult result = store.reload();

    assertThat(result)
        .isInstanceOfSatisfying(
            PolicyStore.Refused.class,
            r -> {
              assertThat(r.versionInForce()).isEqualTo(version);
              assertThat(r.problems())
                  .singleElement()
                  .satisfies(p -> assertThat(p.location().line()).isEqualTo(2));
            });
    assertThat(store.current().version()).isEqualTo(version);
    var doc = store.current().schema().validate(Map.of("department", List.of("hr")));
    assertThat(store.current().decide(Principal.of("a"), Action.READ, doc).permitted()).isTrue();
  }

  @Test
  void aValidReloadSwapsTheWholeSetAtOnce() throws IOException {
    PolicyStore store = PolicyStore.open(pack(HR_ONLY));
    PolicySet before = store.current();
    assertThat(store.reload()).isEqualTo(new PolicyStore.Unchanged(before.version()));

    Files.writeString(dir.resolve("policies/p.yaml"), HR_ONLY.replace("'hr'", "'engineering'"));
    PolicyStore.ReloadResult result = store.reload();

    assertThat(result).isInstanceOf(PolicyStore.Reloaded.class);
    PolicySet after = store.current();
    assertThat(after.version()).isNotEqualTo(before.version()).isEqualTo(result.versionInForce());
    Principal p = new Principal("a", Set.of(), Set.of(), Map.of());
    assertThat(after.compile(p, Action.READ).filter().toString())
        .isEqualTo("department = engineering");
    // A request that captured the old set keeps a consistent view of it.
    assertThat(before.compile(p, Action.READ).filter().toString()).isEqualTo("department = hr");
  }

  @Test
  void aStoreNeverStartsWithoutValidPolicies() throws IOException {
    pack("- {id: bad, effect: allow, actions: [read], when: \"doc.nope\"}\n");
    assertThatThrownBy(() -> PolicyStore.open(new PolicyPack(dir)))
        .isInstanceOf(PolicyLoadException.class)
        .hasMessageContaining("p.yaml:1:");
  }

  /** Writes a pack the way the kubelet writes a ConfigMap volume: files behind a swapped link. */
  private void configMapVolume(String generation, String policies) throws IOException {
    Path data = Files.createDirectories(dir.resolve(".." + generation + "/policies"));
    Files.writeString(
        data.resolveSibling("schema.yaml"),
        "tags:\n  department: {type: set, values: [hr, engineering], required: true}\n");
    Files.writeString(data.resolve("p.yaml"), policies);
    Path tmp = dir.resolve("..data_tmp");
    Files.deleteIfExists(tmp);
    Files.createSymbolicLink(tmp, Path.of(".." + generation));
    Files.move(tmp, dir.resolve("..data"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    if (!Files.exists(dir.resolve("schema.yaml"), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      Files.createSymbolicLink(dir.resolve("schema.yaml"), Path.of("..data/schema.yaml"));
      Files.createSymbolicLink(dir.resolve("policies"), Path.of("..data/policies"));
    }
  }

  @Test
  void aPackEditedInPlaceIsFollowedWithoutARestartAndABrokenEditIsNot() throws Exception {
    configMapVolume("1", HR_ONLY);
    PolicyStore store = PolicyStore.open(new PolicyPack(dir));
    String first = store.current().version();
    try (AutoCloseable watching = store.reloadEvery(java.time.Duration.ofMillis(20))) {
      configMapVolume("2", HR_ONLY.replace("'hr'", "'engineering'"));
      String second =
          TestUtils.waitFor(
              () -> store.current().version(),
              v -> !v.equals(first),
              Duration.ofSeconds(5),
              "the edited pack in force");

      configMapVolume("3", "- {id: bad, effect: allow, actions: [read], when: \"doc.nope\"}\n");
      // The reloader read the broken edit and refused it (not merely: had not run yet).
      PolicyStore.ReloadResult refused =
          TestUtils.waitFor(
                  store::lastReload,
                  r -> r.orElseThrow() instanceof PolicyStore.Refused,
                  Duration.ofSeconds(5),
                  "the broken edit refused")
              .orElseThrow();
      assertThat(refused.versionInForce()).isEqualTo(second);
      assertThat(store.current().version()).isEqualTo(second);
    }
  }
}
