package dev.anvil.deploy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The chart under test ({@code deploy/helm/anvil}), rendered in-process by Helm (helm-java, no helm
 * binary) as release {@code anvil} in namespace {@code anvil}.
 */
final class Chart {
  static final Path DIR = Path.of("helm", "anvil");
  static final Path PRODUCTION_GPU = Path.of("helm", "examples", "production-gpu.yaml");

  /** An overlay: the context engine's chunks in an external Elasticsearch cluster. */
  static final Path ELASTICSEARCH = Path.of("helm", "examples", "elasticsearch.yaml");

  static final Path GOLDEN = Path.of("helm", "anvil-default.rendered.yaml");
  static final String RELEASE = "anvil";
  static final String NAMESPACE = "anvil";

  /** The cluster version to render for (the chart needs 1.27+ for gRPC probes). */
  static final String KUBE_VERSION = "1.31.0";

  private static final Pattern DOCUMENT_SEPARATOR = Pattern.compile("(?m)^---\\s*$");
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private Chart() {}

  /** {@code helm template} with these values files (later ones win). */
  static String template(Path... valuesFiles) {
    TemplateCommand command =
        new Helm(DIR)
            .template()
            .withName(RELEASE)
            .withNamespace(NAMESPACE)
            .withKubeVersion(KUBE_VERSION);
    for (Path file : valuesFiles) {
      command = command.withValuesFile(file.toAbsolutePath());
    }
    return command.call();
  }

  /** {@code helm template}, parsed. */
  static Rendering render(Path... valuesFiles) {
    return new Rendering(parse(template(valuesFiles)));
  }

  /** NOTES.txt as {@code helm install} prints it (a client-only dry run: no cluster needed). */
  static String notes(Path... valuesFiles) {
    InstallCommand command =
        new Helm(DIR)
            .install()
            .withName(RELEASE)
            .withNamespace(NAMESPACE)
            .withKubeVersion(KUBE_VERSION)
            .dryRun()
            .clientOnly();
    for (Path file : valuesFiles) {
      command = command.withValuesFile(file.toAbsolutePath());
    }
    String output = command.call().getOutput();
    int notes = output.indexOf("NOTES:");
    if (notes < 0) {
      throw new AssertionError("helm install printed no NOTES:\n" + output);
    }
    return output.substring(notes);
  }

  /** {@code helm lint} of a chart directory (with its own values.yaml). */
  static LintResult lint(Path chart) {
    return new Helm(chart).lint().call();
  }

  /** Writes values (YAML) to a file in {@code dir}, for {@link #template}. */
  static Path values(Path dir, String yaml) {
    try {
      return Files.writeString(Files.createTempFile(dir, "values-", ".yaml"), yaml);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Every YAML document of a rendering as a typed Kubernetes object.
   *
   * @throws AssertionError if a document is not a Kubernetes resource with metadata
   */
  static List<HasMetadata> parse(String rendered) {
    List<HasMetadata> objects = new ArrayList<>();
    for (String document : DOCUMENT_SEPARATOR.split(rendered)) {
      if (document.lines().allMatch(l -> l.isBlank() || l.stripLeading().startsWith("#"))) {
        continue;
      }
      KubernetesResource resource = SERIALIZATION.unmarshal(document);
      if (!(resource instanceof HasMetadata object)) {
        throw new AssertionError("not a Kubernetes object with metadata:\n" + document);
      }
      objects.add(object);
    }
    return objects;
  }
}
