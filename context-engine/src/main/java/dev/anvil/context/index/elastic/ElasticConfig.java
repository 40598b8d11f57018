package dev.anvil.context.index.elastic;

import dev.anvil.context.api.ContextException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where an engine keeps its chunks in an Elasticsearch or OpenSearch cluster.
 *
 * @param urls the cluster's HTTP endpoints ({@code http} or {@code https}), tried in order when one
 *     cannot be reached
 * @param caCertificate PEM file of the CA that signed the cluster's certificates (with {@code
 *     https}); empty: the JVM's trust store
 * @param credentialsFile a file holding {@code user:password} (basic authentication) or an API key
 *     ({@code ApiKey <base64>}, or the bare base64 value); empty: no authentication (a cluster on
 *     loopback only)
 * @param indexPrefix the start of every index name Anvil creates ({@value #DEFAULT_PREFIX} by
 *     default): lower-case letters, digits, {@code .}, {@code _} or {@code -}, starting with a
 *     letter or digit, at most 100 characters
 * @param shards primary shards of a new index
 * @param replicas replicas of each shard of a new index
 */
public record ElasticConfig(
    List<URI> urls,
    Optional<Path> caCertificate,
    Optional<Path> credentialsFile,
    String indexPrefix,
    int shards,
    int replicas) {
  /** The index prefix unless one is given. */
  public static final String DEFAULT_PREFIX = "anvil-";

  /** Most primary shards Anvil creates an index with (Elasticsearch allows 1,024). */
  public static final int MAX_SHARDS = 1_024;

  private static final Pattern PREFIX = Pattern.compile("[a-z0-9][a-z0-9._-]{0,99}");

  public ElasticConfig {
    urls = List.copyOf(urls);
    Objects.requireNonNull(caCertificate, "caCertificate");
    Objects.requireNonNull(credentialsFile, "credentialsFile");
    Objects.requireNonNull(indexPrefix, "indexPrefix");
    if (urls.isEmpty()) {
      throw new IllegalArgumentException("es-url: expected at least one cluster URL, was none");
    }
    for (URI u : urls) {
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https") || u.getHost() == null) {
        throw new IllegalArgumentException(
            "es-url: expected http://HOST:PORT or https://HOST:PORT, was '" + u + "'");
      }
      if (u.getUserInfo() != null) {
        throw new IllegalArgumentException(
            "es-url: credentials in the URL would be logged; put them in --es-credentials-file,"
                + " was '"
                + u.getScheme()
                + "://***@"
                + u.getHost()
                + "'");
      }
    }
    if (!PREFIX.matcher(indexPrefix).matches()) {
      throw new IllegalArgumentException(
          "es-index-prefix: expected "
              + PREFIX.pattern()
              + " (an Elasticsearch index name is lower-case, and may not start with '.', '_',"
              + " '-' or '+'), was '"
              + indexPrefix
              + "'");
    }
    if (shards < 1 || shards > MAX_SHARDS) {
      throw new IllegalArgumentException(
          "es-shards: expected 1 to " + MAX_SHARDS + ", was " + shards);
    }
    if (replicas < 0 || replicas > 16) {
      throw new IllegalArgumentException("es-replicas: expected 0 to 16, was " + replicas);
    }
  }

  /** One endpoint, no TLS settings, no credentials, the default prefix, one shard, no replica. */
  public static ElasticConfig of(URI url) {
    return new ElasticConfig(
        List.of(url), Optional.empty(), Optional.empty(), DEFAULT_PREFIX, 1, 0);
  }

  /** The same cluster with another index prefix. */
  public ElasticConfig withIndexPrefix(String prefix) {
    return new ElasticConfig(urls, caCertificate, credentialsFile, prefix, shards, replicas);
  }

  /**
   * The index that holds the chunks of the engine's index directory {@code dir} (relative to its
   * root: {@code "."} for the first one, {@code models/ID} for a model switched to). Names are
   * lower-case and distinct per directory; nothing in {@code dir} can name an index outside the
   * prefix.
   */
  public String indexName(String dir) {
    if (dir.equals(".")) {
      return indexPrefix + "chunks";
    }
    String readable = dir.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    if (readable.length() > 80) {
      readable = readable.substring(0, 80);
    }
    return indexPrefix + "chunks-" + readable + "-" + digest(dir).substring(0, 12);
  }

  static String digest(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new ContextException("no SHA-256 in this JVM", e);
    }
  }
}
