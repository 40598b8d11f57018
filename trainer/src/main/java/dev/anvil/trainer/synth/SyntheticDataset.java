package dev.anvil.trainer.synth;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A synthetic data set on disk: {@code pairs.jsonl} (one {@code {"query", "positive", "negative"?,
 * "tags", ...}} per line, the format of the trainer's pair data sets, each with the source passage
 * and the negative's) and {@code provenance.json} (its version, the settings and where the corpus
 * came from, and every source document with its version). The version is the SHA-256 of {@code
 * pairs.jsonl}: the same corpus and settings give the same version, byte for byte.
 *
 * @param version {@code sha256:<hex>} of {@code pairs}
 * @param pairs the contents of {@code pairs.jsonl}
 * @param provenance the contents of {@code provenance.json}
 */
public record SyntheticDataset(String version, byte[] pairs, byte[] provenance) {
  /** The pairs' file in a data set's directory. */
  public static final String PAIRS = "pairs.jsonl";

  /** The provenance's file in a data set's directory. */
  public static final String PROVENANCE = "provenance.json";

  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();
  private static final Gson PRETTY =
      new GsonBuilder().disableHtmlEscaping().setPrettyPrinting().create();

  /**
   * The data set of {@code pairs} made from {@code corpus} with {@code settings}.
   *
   * @param origin where the corpus came from (e.g. the engine and the tag query), recorded as is
   */
  public static SyntheticDataset of(
      List<SyntheticPair> pairs,
      List<Passage> corpus,
      SynthesisSettings settings,
      Map<String, Object> origin) {
    StringBuilder lines = new StringBuilder();
    Map<String, Integer> kinds = new TreeMap<>();
    for (SyntheticPair p : pairs) {
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("query", p.query());
      line.put("positive", p.positive());
      p.negative().ifPresent(n -> line.put("negative", n.text()));
      line.put("tags", new TreeMap<>(p.source().tags()));
      line.put("kind", p.kind().name().toLowerCase(java.util.Locale.ROOT));
      line.put("source", p.source().documentId() + "#" + p.source().chunk());
      p.negative().ifPresent(n -> line.put("negative_source", n.documentId() + "#" + n.chunk()));
      lines.append(GSON.toJson(line)).append('\n');
      kinds.merge(line.get("kind").toString(), 1, Integer::sum);
    }
    byte[] bytes = lines.toString().getBytes(StandardCharsets.UTF_8);
    String version = "sha256:" + sha256(bytes);
    Map<String, Long> documents = new TreeMap<>();
    for (Passage p : corpus) {
      documents.put(p.documentId(), p.version());
    }
    List<Map<String, Object>> sources = new ArrayList<>();
    documents.forEach((id, v) -> sources.add(Map.of("id", id, "version", v)));
    Map<String, Object> provenance = new LinkedHashMap<>();
    provenance.put("version", version);
    provenance.put("pairs", pairs.size());
    provenance.put("kinds", kinds);
    provenance.put("settings", settings);
    provenance.put("origin", origin);
    provenance.put("passages", corpus.size());
    provenance.put("documents", sources);
    return new SyntheticDataset(
        version, bytes, (PRETTY.toJson(provenance) + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /** Its files by name: {@link #PAIRS} and {@link #PROVENANCE}. */
  public Map<String, byte[]> files() {
    return Map.of(PAIRS, pairs, PROVENANCE, provenance);
  }

  /**
   * Writes its files into {@code dir}.
   *
   * @return its version, {@code sha256:<hex>}
   */
  public String write(Path dir) {
    try {
      Files.createDirectories(dir);
      Files.write(dir.resolve(PAIRS), pairs);
      Files.write(dir.resolve(PROVENANCE), provenance);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the data set in " + dir, e);
    }
    return version;
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }
}
