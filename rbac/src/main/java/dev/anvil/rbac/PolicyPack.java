package dev.anvil.rbac;

import dev.anvil.rbac.input.PolicySource;
import dev.anvil.rbac.input.RbacException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A directory holding everything an admin maintains for one deployment:
 *
 * <pre>
 * schema.yaml        the tag schema
 * policies/*.yaml    policies, loaded together as one policy set (files in name order)
 * principals.yaml    named development identities (for tests, explain and the dev token issuer)
 * tests/*.yaml       policy tests run by {@code anvil policy test}
 * </pre>
 *
 * @param dir the pack directory
 */
public record PolicyPack(Path dir) {

  /** The tag schema file. */
  public Path schemaFile() {
    return dir.resolve("schema.yaml");
  }

  /** Policy files, sorted by name so the policy order (and the version) is stable. */
  public List<Path> policyFiles() {
    return yamlFiles(dir.resolve("policies"));
  }

  /** The named principals file (may not exist). */
  public Path principalsFile() {
    return dir.resolve("principals.yaml");
  }

  /** Policy test files, sorted by name. */
  public List<Path> testFiles() {
    return yamlFiles(dir.resolve("tests"));
  }

  /** Loads the schema and policies into a policy set. */
  public PolicySet load() {
    if (!Files.isRegularFile(schemaFile())) {
      throw new RbacException(
          "no tag schema at " + schemaFile() + " (is " + dir + " a policy pack?)");
    }
    List<Path> policies = policyFiles();
    if (policies.isEmpty()) {
      throw new RbacException("no policy files under " + dir.resolve("policies"));
    }
    return PolicySet.parse(
        PolicySource.read(schemaFile()), policies.stream().map(PolicySource::read).toList());
  }

  private static List<Path> yamlFiles(Path folder) {
    if (!Files.isDirectory(folder)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(folder)) {
      return files
          .filter(f -> f.getFileName().toString().matches(".*\\.ya?ml"))
          .filter(Files::isRegularFile)
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + folder, e);
    }
  }
}
