package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.context.api.ContextException;
import dev.anvil.context.backend.IndexBackend;
import dev.anvil.context.index.elastic.ClusterDialect;
import dev.anvil.context.index.elastic.ElasticConfig;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code --backend} and the {@code --es-*} options, on the command line and from the environment.
 */
class BackendOptionsTest {
  private static IndexBackend backend(Map<String, String> env, String... args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setDefaultValueProvider(new Configuration(env));
    CommandLine.ParseResult parsed = cli.parseArgs(args);
    return ((ServeCommand) parsed.subcommand().commandSpec().userObject())
        .engineOptions.backend.backend();
  }

  @Test
  void theEmbeddedIndexIsTheDefault() {
    assertThat(backend(Map.of(), "serve")).isEqualTo(IndexBackend.embedded());
  }

  @Test
  void aClusterIsNamedByItsUrlsTlsCredentialsPrefixAndShards() {
    IndexBackend b =
        backend(
            Map.of(),
            "serve",
            "--backend",
            "elasticsearch",
            "--es-url",
            "https://es-0.example:9200,https://es-1.example:9200",
            "--es-ca",
            "/etc/anvil/es/ca.pem",
            "--es-credentials-file",
            "/etc/anvil/es/credentials",
            "--es-index-prefix",
            "team-a-",
            "--es-shards",
            "3",
            "--es-replicas",
            "2");
    assertThat(b)
        .isEqualTo(
            new IndexBackend.Cluster(
                ClusterDialect.ELASTICSEARCH,
                new ElasticConfig(
                    List.of(
                        URI.create("https://es-0.example:9200"),
                        URI.create("https://es-1.example:9200")),
                    Optional.of(Path.of("/etc/anvil/es/ca.pem")),
                    Optional.of(Path.of("/etc/anvil/es/credentials")),
                    "team-a-",
                    3,
                    2)));
  }

  @Test
  void anOpenSearchClusterTakesTheSameClusterOptions() {
    assertThat(
            backend(
                Map.of(),
                "serve",
                "--backend",
                "opensearch",
                "--es-url",
                "https://os.example:9200",
                "--es-replicas",
                "0"))
        .isEqualTo(
            new IndexBackend.Cluster(
                ClusterDialect.OPENSEARCH,
                new ElasticConfig(
                    List.of(URI.create("https://os.example:9200")),
                    Optional.empty(),
                    Optional.empty(),
                    "anvil-",
                    1,
                    0)));
  }

  @Test
  void aContainerConfiguresItThroughTheEnvironment() {
    IndexBackend b =
        backend(
            Map.of(
                "ANVIL_BACKEND", "elasticsearch",
                "ANVIL_ES_URL", "http://127.0.0.1:9200",
                "ANVIL_ES_CREDENTIALS_FILE", "/var/run/secrets/es/credentials"),
            "serve");
    assertThat(b)
        .isInstanceOfSatisfying(
            IndexBackend.Cluster.class,
            es -> {
              assertThat(es.dialect()).isEqualTo(ClusterDialect.ELASTICSEARCH);
              assertThat(es.config().urls()).containsExactly(URI.create("http://127.0.0.1:9200"));
              assertThat(es.config().indexPrefix()).isEqualTo("anvil-");
              assertThat(es.config().replicas()).isEqualTo(1);
              assertThat(es.config().credentialsFile())
                  .contains(Path.of("/var/run/secrets/es/credentials"));
            });
    assertThat(Configuration.table("serve"))
        .containsKeys(
            "ANVIL_BACKEND",
            "ANVIL_ES_URL",
            "ANVIL_ES_CA",
            "ANVIL_ES_CREDENTIALS_FILE",
            "ANVIL_ES_INDEX_PREFIX",
            "ANVIL_ES_SHARDS",
            "ANVIL_ES_REPLICAS",
            "ANVIL_ES_SERVING_POLL");
  }

  @Test
  void replicasReadTheServingAliasAsOftenAsConfigured() {
    assertThat(
            backend(
                Map.of("ANVIL_ES_SERVING_POLL", "0.5"),
                "serve",
                "--backend",
                "opensearch",
                "--es-url",
                "http://127.0.0.1:9200"))
        .isInstanceOfSatisfying(
            IndexBackend.Cluster.class,
            c -> {
              assertThat(c.dialect()).isEqualTo(ClusterDialect.OPENSEARCH);
              assertThat(c.followEvery()).isEqualTo(java.time.Duration.ofMillis(500));
            });
    assertThatThrownBy(
            () ->
                backend(
                    Map.of(),
                    "serve",
                    "--backend",
                    "elasticsearch",
                    "--es-url",
                    "http://127.0.0.1:9200",
                    "--es-serving-poll",
                    "0"))
        .isInstanceOf(ContextException.class)
        .hasMessageContaining("--es-serving-poll: expected more than 0 s");
  }

  /** What the Helm chart renders for contextEngine.elasticsearch (ElasticsearchValuesTest). */
  @Test
  void theChartsVariablesNameEveryUrlAndTheMountedSecrets() {
    IndexBackend b =
        backend(
            Map.of(
                "ANVIL_BACKEND", "elasticsearch",
                "ANVIL_ES_URL", "https://10.30.0.5:9243,https://[fd00::5]:9243/",
                "ANVIL_ES_CA", "/etc/anvil/elasticsearch/ca/ca.crt",
                "ANVIL_ES_CREDENTIALS_FILE", "/etc/anvil/elasticsearch/credentials/credentials",
                "ANVIL_ES_INDEX_PREFIX", "anvil-acme-",
                "ANVIL_ES_SHARDS", "1024",
                "ANVIL_ES_REPLICAS", "0"),
            "serve");
    assertThat(b)
        .isEqualTo(
            new IndexBackend.Cluster(
                ClusterDialect.ELASTICSEARCH,
                new ElasticConfig(
                    List.of(
                        URI.create("https://10.30.0.5:9243"),
                        URI.create("https://[fd00::5]:9243/")),
                    Optional.of(Path.of("/etc/anvil/elasticsearch/ca/ca.crt")),
                    Optional.of(Path.of("/etc/anvil/elasticsearch/credentials/credentials")),
                    "anvil-acme-",
                    1024,
                    0)));
  }

  @Test
  void anIncompleteOrMisplacedOptionIsAnErrorNamingIt() {
    assertThatThrownBy(() -> backend(Map.of(), "serve", "--backend", "elasticsearch"))
        .isInstanceOf(ContextException.class)
        .hasMessageContaining("--backend elasticsearch needs --es-url");
    assertThatThrownBy(() -> backend(Map.of(), "serve", "--es-url", "http://127.0.0.1:9200"))
        .hasMessageContaining("need --backend elasticsearch");
    assertThatThrownBy(
            () ->
                backend(
                    Map.of(),
                    "serve",
                    "--backend",
                    "elasticsearch",
                    "--es-url",
                    "http://127.0.0.1:9200",
                    "--es-index-prefix",
                    "_all"))
        .hasMessageContaining("--es-index-prefix")
        .hasMessageContaining("'_all'");
    assertThatThrownBy(
            () ->
                backend(
                    Map.of(), "serve", "--backend", "elasticsearch", "--es-url", "es.example:9200"))
        .hasMessageContaining("--es-url");
    assertThatThrownBy(() -> backend(Map.of(), "serve", "--backend", "opensearch"))
        .isInstanceOf(ContextException.class)
        .hasMessageContaining("--backend opensearch needs --es-url");
    assertThatThrownBy(() -> backend(Map.of(), "serve", "--backend", "solr"))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("embedded, elasticsearch, opensearch");
  }
}
