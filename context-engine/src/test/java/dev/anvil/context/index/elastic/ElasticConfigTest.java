package dev.anvil.context.index.elastic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.context.api.ContextException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What an operator can configure, and what a configuration can never name. */
class ElasticConfigTest {
  @TempDir Path tmp;

  private static ElasticConfig prefix(String prefix) {
    return ElasticConfig.of(URI.create("http://127.0.0.1:9200")).withIndexPrefix(prefix);
  }

  @Test
  void aPrefixThatIsNotAPlainIndexNameIsRefusedNamingTheOption() {
    for (String bad :
        List.of("", "Anvil-", "_all", "*", "-x", ".security-", "a,b", "a/b", "../x", "a b", "a*")) {
      assertThatThrownBy(() -> prefix(bad))
          .as("prefix '%s'", bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("es-index-prefix")
          .hasMessageContaining("'" + bad + "'");
    }
    assertThat(prefix("team-a.anvil_").indexName(".")).isEqualTo("team-a.anvil_chunks");
  }

  @Test
  void everyIndexDirectoryGetsADistinctNameUnderThePrefix() {
    ElasticConfig c = prefix("anvil-");
    String a = c.indexName("models/Team_A@1");
    String b = c.indexName("models/team-a@1");
    assertThat(a).startsWith("anvil-chunks-models-team-a-").isNotEqualTo(b);
    String traversal = c.indexName("../../_all,other");
    assertThat(traversal).startsWith("anvil-chunks-").matches("[a-z0-9._-]+");
    assertThat(c.indexName("models/" + "x".repeat(500)).length()).isLessThan(120);
  }

  @Test
  void urlsAreHttpOrHttpsWithoutCredentials() {
    assertThatThrownBy(() -> ElasticConfig.of(URI.create("ftp://127.0.0.1:9200")))
        .hasMessageContaining("es-url");
    assertThatThrownBy(() -> ElasticConfig.of(URI.create("http://elastic:secret@127.0.0.1:9200")))
        .hasMessageContaining("es-credentials-file")
        .hasMessageNotContaining("secret");
    assertThatThrownBy(
            () ->
                new ElasticConfig(
                    List.of(URI.create("http://127.0.0.1:9200")),
                    Optional.empty(),
                    Optional.empty(),
                    "anvil-",
                    0,
                    0))
        .hasMessageContaining("es-shards: expected 1 to 1024, was 0");
  }

  @Test
  void credentialsFilesGiveBasicOrApiKeyAuthorization() throws Exception {
    Path basic = Files.writeString(tmp.resolve("basic"), "anvil:s3cret\n");
    assertThat(ElasticClient.authorization(basic)).isEqualTo("Basic YW52aWw6czNjcmV0");
    Path key =
        Files.writeString(
            tmp.resolve("key"), "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==");
    assertThat(ElasticClient.authorization(key)).startsWith("ApiKey VnVh");
    Path empty = Files.writeString(tmp.resolve("empty"), "  \n");
    assertThatThrownBy(() -> ElasticClient.authorization(empty))
        .isInstanceOf(ContextException.class)
        .hasMessageContaining("es-credentials-file")
        .hasMessageContaining("is empty");
    assertThatThrownBy(() -> ElasticClient.authorization(tmp.resolve("absent")))
        .hasMessageContaining("cannot read");
    Path notPem = Files.writeString(tmp.resolve("ca.pem"), "not a certificate");
    assertThatThrownBy(() -> ElasticClient.trusting(notPem)).hasMessageContaining("es-ca");
  }

  @Test
  void anUnreachableClusterIsAnErrorNamingItsAddress() throws Exception {
    int port;
    try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    ElasticConfig c = ElasticConfig.of(URI.create("http://127.0.0.1:" + port));
    assertThatThrownBy(
            () ->
                ElasticIndex.open(
                    c,
                    ".",
                    "m",
                    4,
                    "c",
                    dev.anvil.rbac.PolicyStore.open(dev.anvil.rbac.TestPacks.example())
                        .current()
                        .schema()))
        .isInstanceOf(ContextException.class)
        .hasMessageContaining("cannot reach the cluster at [http://127.0.0.1:" + port);
  }
}
