package dev.anvil.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code contextEngine.backend: elasticsearch} (or {@code opensearch}): the cluster values become
 * the engine's {@code ANVIL_ES_*} settings, its CA and credentials come only from Secrets mounted
 * read-only, and nothing of it is rendered with the embedded backend. (Which values the schema
 * refuses: ValuesSchemaTest; where the engine may connect: NetworkPolicyTest.)
 */
class ElasticsearchValuesTest {
  private static final String ENGINE = "anvil-context-engine";
  private static final String CA_DIR = "/etc/anvil/elasticsearch/ca";
  private static final String CREDENTIALS_DIR = "/etc/anvil/elasticsearch/credentials";

  @Test
  void clusterValuesBecomeTheEnginesSettingsWithTheSecretsMountedReadOnly() {
    Rendering r = Chart.render(Chart.PRODUCTION_GPU, Chart.ELASTICSEARCH);

    ChartRenderingTest.assertEveryObjectFullyTyped(r);
    assertThat(r.configMap(ENGINE).getData())
        .containsEntry("ANVIL_BACKEND", "elasticsearch")
        .containsEntry(
            "ANVIL_ES_URL", "https://es-0.es.search.svc:9200,https://es-1.es.search.svc:9200")
        .containsEntry("ANVIL_ES_CA", CA_DIR + "/ca.crt")
        .containsEntry("ANVIL_ES_CREDENTIALS_FILE", CREDENTIALS_DIR + "/credentials")
        .containsEntry("ANVIL_ES_INDEX_PREFIX", "anvil-acme-")
        .containsEntry("ANVIL_ES_SHARDS", "3")
        .containsEntry("ANVIL_ES_REPLICAS", "1");

    Rendering.Workload engine = r.workload(ENGINE);
    assertOnlyKeyMounted(engine, "elasticsearch-ca", "anvil-es-ca", "ca.crt", CA_DIR);
    assertOnlyKeyMounted(
        engine, "elasticsearch-credentials", "anvil-es", "credentials", CREDENTIALS_DIR);
    assertThat(r.all(Secret.class))
        .as("the Secrets are referenced by name, never rendered")
        .isEmpty();
    assertThat(r.configMap("anvil-trainer").getData().keySet())
        .as("the trainer never talks to the cluster")
        .noneMatch(k -> k.startsWith("ANVIL_ES_") || k.equals("ANVIL_BACKEND"));
    assertThat(r.workload("anvil-trainer").template().getSpec().getVolumes())
        .noneMatch(v -> v.getName().startsWith("elasticsearch"));
  }

  @Test
  void anOpenSearchClusterTakesTheSameValuesAndNamesItsProduct(@TempDir Path dir) {
    Rendering r =
        Chart.render(
            Chart.PRODUCTION_GPU,
            Chart.ELASTICSEARCH,
            Chart.values(dir, "contextEngine:\n  backend: opensearch\n"));
    assertThat(r.configMap(ENGINE).getData())
        .containsEntry("ANVIL_BACKEND", "opensearch")
        .containsEntry("ANVIL_ES_INDEX_PREFIX", "anvil-acme-");
    assertOnlyKeyMounted(r.workload(ENGINE), "elasticsearch-ca", "anvil-es-ca", "ca.crt", CA_DIR);
  }

  @Test
  void numbersAndSeveralUrlsRenderAsTheOptionsParseThem(@TempDir Path dir) {
    // 1024 shards: a YAML number reaches the template as a float, which must not print as
    // 1.024e+03.
    Rendering r =
        Chart.render(
            Chart.PRODUCTION_GPU,
            Chart.ELASTICSEARCH,
            Chart.values(
                dir,
                """
                contextEngine:
                  elasticsearch:
                    urls: ["https://10.30.0.5:9243", "https://[fd00::5]:9243/"]
                    shards: 1024
                    replicas: 0
                """));

    assertThat(r.configMap(ENGINE).getData())
        .containsEntry("ANVIL_ES_URL", "https://10.30.0.5:9243,https://[fd00::5]:9243/")
        .containsEntry("ANVIL_ES_SHARDS", "1024")
        .containsEntry("ANVIL_ES_REPLICAS", "0");
  }

  @Test
  void withoutSecretsNothingIsMountedAndPlainHttpOnlyWhenAllowed(@TempDir Path dir) {
    Rendering r =
        Chart.render(
            Chart.values(
                dir,
                """
                contextEngine:
                  backend: elasticsearch
                  elasticsearch: {urls: ["http://127.0.0.1:9200"], allowHttp: true}
                networkPolicy:
                  egress:
                    elasticsearch: [{cidr: 10.30.0.0/16, ports: [{port: 9200}]}]
                """));

    assertThat(r.configMap(ENGINE).getData())
        .containsEntry("ANVIL_BACKEND", "elasticsearch")
        .containsEntry("ANVIL_ES_URL", "http://127.0.0.1:9200")
        .containsEntry("ANVIL_ES_INDEX_PREFIX", "anvil-")
        .containsEntry("ANVIL_ES_SHARDS", "1")
        .containsEntry("ANVIL_ES_REPLICAS", "1")
        .doesNotContainKeys("ANVIL_ES_CA", "ANVIL_ES_CREDENTIALS_FILE");
    assertThat(r.workload(ENGINE).template().getSpec().getVolumes())
        .noneMatch(v -> v.getName().startsWith("elasticsearch"));
  }

  @Test
  void theEmbeddedBackendGetsNoClusterSettingEvenWithClusterValues(@TempDir Path dir) {
    // The cluster values kept, the backend switched back: the engine must not half-use them.
    Rendering r =
        Chart.render(
            Chart.PRODUCTION_GPU,
            Chart.ELASTICSEARCH,
            Chart.values(dir, "contextEngine: {backend: embedded}\n"));

    assertThat(r.configMap(ENGINE).getData().keySet())
        .noneMatch(k -> k.startsWith("ANVIL_ES_") || k.equals("ANVIL_BACKEND"));
    assertThat(r.workload(ENGINE).template().getSpec().getVolumes())
        .noneMatch(v -> v.getName().startsWith("elasticsearch"));
    assertThat(r.workload(ENGINE).container().getVolumeMounts())
        .noneMatch(m -> m.getMountPath().startsWith("/etc/anvil/elasticsearch"));
    assertThat(Chart.notes(Chart.PRODUCTION_GPU, Chart.ELASTICSEARCH))
        .contains(
            "Chunks: Elasticsearch at https://es-0.es.search.svc:9200,"
                + " https://es-1.es.search.svc:9200, indexes anvil-acme-chunks*")
        .contains("credentials: key credentials of Secret anvil-es.")
        .doesNotContain("WARNING");
    assertThat(
            Chart.notes(
                Chart.PRODUCTION_GPU,
                Chart.ELASTICSEARCH,
                Chart.values(dir, "contextEngine: {backend: embedded}\n")))
        .contains("Chunks: the embedded index on each replica's volume")
        .contains("WARNING: contextEngine.elasticsearch.urls is set but contextEngine.backend is");
  }

  /** The volume is the Secret with just that key, mounted read-only in a directory of its own. */
  private static void assertOnlyKeyMounted(
      Rendering.Workload w, String volume, String secret, String key, String dir) {
    assertThat(w.template().getSpec().getVolumes())
        .filteredOn(v -> v.getName().equals(volume))
        .singleElement()
        .extracting(Volume::getSecret)
        .satisfies(
            s -> {
              assertThat(s.getSecretName()).isEqualTo(secret);
              assertThat(s.getDefaultMode()).isEqualTo(0440);
              assertThat(s.getItems())
                  .extracting(KeyToPath::getKey, KeyToPath::getPath)
                  .containsExactly(org.assertj.core.groups.Tuple.tuple(key, key));
            });
    List<VolumeMount> mounts = w.container().getVolumeMounts();
    assertThat(mounts)
        .filteredOn(m -> m.getName().equals(volume))
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.getMountPath()).isEqualTo(dir);
              assertThat(m.getReadOnly()).isTrue();
              assertThat(m.getSubPath())
                  .as("no subPath: the file follows a rotated Secret")
                  .isNull();
            });
  }
}
