package dev.anvil.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The chart's output for default values is checked in ({@code helm/anvil-default.rendered.yaml}),
 * so that every change to what a default install creates shows up in review.
 */
class GoldenRenderingTest {
  private static final String REGENERATE = "anvil.deploy.regenerate";

  @Test
  void renderingIsDeterministic() {
    assertThat(Chart.template()).isEqualTo(Chart.template());
  }

  @Test
  void defaultRenderingMatchesTheCheckedInFile() throws IOException {
    String rendered = Chart.template();

    if (Boolean.getBoolean(REGENERATE)) {
      Files.writeString(Chart.GOLDEN, rendered);
      return;
    }
    String golden = Files.exists(Chart.GOLDEN) ? Files.readString(Chart.GOLDEN) : "";
    if (!golden.equals(rendered)) {
      fail(
          "deploy/%s is stale: `helm template %s deploy/helm/anvil --namespace %s` renders"
              + " differently (%s). If the change is intended, regenerate it with%n"
              + "  ./mvnw -pl deploy test -Dtest=GoldenRenderingTest -D%s=true%n"
              + "and review the diff.",
          Chart.GOLDEN,
          Chart.RELEASE,
          Chart.NAMESPACE,
          firstDifference(golden, rendered),
          REGENERATE);
    }
  }

  private static String firstDifference(String expected, String actual) {
    List<String> e = expected.lines().toList();
    List<String> a = actual.lines().toList();
    for (int i = 0; i < Math.max(e.size(), a.size()); i++) {
      String el = i < e.size() ? e.get(i) : "<end of file>";
      String al = i < a.size() ? a.get(i) : "<end of file>";
      if (!el.equals(al)) {
        return "first difference at line "
            + (i + 1)
            + ": file has '"
            + el
            + "', chart renders '"
            + al
            + "'";
      }
    }
    return "they differ in line endings";
  }
}
