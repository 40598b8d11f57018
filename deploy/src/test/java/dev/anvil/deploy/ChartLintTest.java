package dev.anvil.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.LintResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/** {@code helm lint}: no error and no warning, with the default and the example values. */
class ChartLintTest {
  @Test
  void lintsCleanWithDefaultValues() {
    assertClean(Chart.lint(Chart.DIR));
  }

  /**
   * helm-java's lint takes no values files, so the production values are merged into a copy of the
   * chart's values.yaml, the way Helm merges them (maps deeply, everything else replaced).
   */
  @Test
  void lintsCleanWithTheProductionGpuValues(@TempDir Path dir) throws IOException {
    assertClean(Chart.lint(withValues(dir, Chart.PRODUCTION_GPU)));
  }

  @Test
  void lintsCleanWithTheProductionValuesOnAnElasticsearchCluster(@TempDir Path dir)
      throws IOException {
    assertClean(Chart.lint(withValues(dir, Chart.PRODUCTION_GPU, Chart.ELASTICSEARCH)));
  }

  /** A copy of the chart whose values.yaml has these values files merged in, in order. */
  private static Path withValues(Path dir, Path... valuesFiles) throws IOException {
    Path chart = dir.resolve("anvil");
    copy(Chart.DIR, chart);
    Map<String, Object> merged = load(Chart.DIR.resolve("values.yaml"));
    for (Path file : valuesFiles) {
      merged = merge(merged, load(file));
    }
    Files.writeString(
        chart.resolve("values.yaml"),
        new Dump(DumpSettings.builder().build()).dumpToString(merged));
    return chart;
  }

  private static void assertClean(LintResult result) {
    assertThat(result.isFailed()).as(String.join("\n", result.getMessages())).isFalse();
    assertThat(result.getMessages())
        .noneSatisfy(m -> assertThat(m).containsAnyOf("[ERROR]", "[WARNING]"));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> load(Path yaml) throws IOException {
    return (Map<String, Object>)
        new Load(LoadSettings.builder().build()).loadFromString(Files.readString(yaml));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> over) {
    Map<String, Object> out = new LinkedHashMap<>(base);
    over.forEach(
        (k, v) ->
            out.merge(
                k,
                v,
                (a, b) ->
                    a instanceof Map<?, ?> am && b instanceof Map<?, ?> bm
                        ? merge((Map<String, Object>) am, (Map<String, Object>) bm)
                        : b));
    return out;
  }

  private static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      files.forEach(
          f -> {
            try {
              Path target = to.resolve(from.relativize(f).toString());
              if (Files.isDirectory(f)) {
                Files.createDirectories(target);
              } else {
                Files.copy(f, target);
              }
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          });
    }
  }
}
