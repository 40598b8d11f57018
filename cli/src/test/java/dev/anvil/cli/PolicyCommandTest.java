package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs {@code anvil policy ...} in-process against the example pack and broken copies of it. */
class PolicyCommandTest {
  @TempDir Path tmp;

  record Run(int exit, String out, String err) {}

  static Path examplePack() {
    Path dir = Path.of("").toAbsolutePath();
    while (!Files.isDirectory(dir.resolve("examples/policy-pack"))) {
      dir = dir.getParent();
    }
    return dir.resolve("examples/policy-pack");
  }

  static Run anvil(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(exit, out.toString(), err.toString());
  }

  private Path copyOfExample() throws IOException {
    Path src = examplePack();
    try (Stream<Path> files = Files.walk(src)) {
      for (Path f : files.toList()) {
        Path target = tmp.resolve(src.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target);
        }
      }
    }
    return tmp;
  }

  @Test
  void validateAcceptsTheExamplePack() {
    Run r = anvil("policy", "validate", "--pack", examplePack().toString());
    assertThat(r.exit()).isZero();
    assertThat(r.out())
        .startsWith("ok: policy set sha256:")
        .contains("6 tags, 4 principal attributes, 24 policies");
  }

  @Test
  void validateRefusesABrokenPolicyWithItsLocation() throws IOException {
    Path pack = copyOfExample();
    Files.writeString(
        pack.resolve("policies/99-broken.yaml"),
        "- id: typo\n  effect: allow\n  actions: [read]\n  when: \"doc.clasification == 'public'\"\n");
    Run r = anvil("policy", "validate", "--pack", pack.toString());
    assertThat(r.exit()).isEqualTo(Main.FAILED);
    assertThat(r.err())
        .contains(
            pack.resolve("policies/99-broken.yaml") + ":4:13: undefined field 'clasification'")
        .contains("refused: 1 problem");
  }

  @Test
  void testRunsThePackTestsAndFailsWhenAPolicyChanges() throws IOException {
    Run ok = anvil("policy", "test", "--pack", examplePack().toString());
    assertThat(ok.exit()).isZero();
    assertThat(ok.out()).containsPattern("\\d+ tests, \\d+ passed, 0 failed");

    Path pack = copyOfExample();
    Path hr = pack.resolve("policies/10-hr.yaml");
    Files.writeString(hr, Files.readString(hr).replace("effect: deny", "effect: allow"));
    Run failing = anvil("policy", "test", "--pack", pack.toString());
    assertThat(failing.exit()).isEqualTo(Main.FAILED);
    assertThat(failing.out())
        .contains("FAIL " + pack.resolve("tests/read.yaml") + ":")
        .contains("engineers do not read HR compensation")
        .containsPattern("\\d+ tests, \\d+ passed, [1-9]\\d* failed");
  }

  @Test
  void explainNamesTheDecidingPolicyAndItsChecks() {
    Run r =
        anvil(
            "policy",
            "explain",
            "--pack",
            examplePack().toString(),
            "--as",
            "alice",
            "--tag",
            "classification=confidential",
            "--tag",
            "department=hr,engineering",
            "--tag",
            "topics=compensation");
    assertThat(r.exit()).isZero();
    assertThat(r.out())
        .contains("decision:  deny by hr-compensation-only-for-comp-readers")
        .contains("\"hr-comp-reader\" in principal.roles  =>  false")
        .containsPattern("deny +hr-compensation-only-for-comp-readers +true +-> applies");
  }

  @Test
  void explainRejectsBadlyTaggedDocuments() {
    Run r =
        anvil(
            "policy",
            "explain",
            "--pack",
            examplePack().toString(),
            "--as",
            "alice",
            "--tag",
            "classification=secret");
    assertThat(r.exit()).isEqualTo(Main.USAGE);
    assertThat(r.err())
        .contains("tag 'classification': 'secret' is not allowed")
        .contains("tag 'department': required tag is missing");
  }

  @Test
  void compilePrintsTheFilterForANamedOrAdHocPrincipal() {
    Run hannah = anvil("policy", "compile", "--pack", examplePack().toString(), "--as", "hannah");
    assertThat(hannah.exit()).isZero();
    assertThat(hannah.out()).contains("# documents hannah").contains("department = hr");

    Run adHoc =
        anvil(
            "policy",
            "compile",
            "--pack",
            examplePack().toString(),
            "--subject",
            "bob",
            "--role",
            "contractor",
            "--group",
            "engineering",
            "--attr",
            "clearance=internal");
    assertThat(adHoc.exit()).isZero();
    assertThat(adHoc.out())
        .contains("classification in [public .. internal]")
        .contains("owner = bob");
  }
}
