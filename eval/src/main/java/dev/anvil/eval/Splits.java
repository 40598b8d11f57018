package dev.anvil.eval;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The qrels splits of a BEIR folder, and the dev split that Anvil carves from the training
 * judgements so that what selects a model never is what reports it.
 *
 * <ul>
 *   <li>{@value #DEV}: {@code qrels/dev.tsv} when the folder has one; otherwise the queries of
 *       {@code qrels/train.tsv} for which {@link #carvedIntoDev} holds (about {@value
 *       #DEV_FRACTION} of them).
 *   <li>{@value #TRAIN_MINUS_DEV}: the queries of {@code qrels/train.tsv} that are not in {@value
 *       #DEV}: what a model is trained on. Never shares a query with {@value #DEV}.
 *   <li>any other name, {@value #TRAIN} and {@value #TEST} included: {@code qrels/<name>.tsv} as it
 *       is. {@value #TRAIN} overlaps a carved {@value #DEV}; train on {@value #TRAIN_MINUS_DEV}.
 * </ul>
 *
 * <p>The carve depends on nothing but the query id: the same folder gives the same splits in every
 * run, on every machine and JVM, whatever the order of the file. Stateless and thread-safe.
 */
public final class Splits {
  /** The judgements a model is trained on (the whole file; overlaps a carved dev split). */
  public static final String TRAIN = "train";

  /** The split that selects and gates models: the folder's own, or carved from {@value #TRAIN}. */
  public static final String DEV = "dev";

  /** {@value #TRAIN} without the queries of {@value #DEV}. */
  public static final String TRAIN_MINUS_DEV = "train-minus-dev";

  /** The split results are reported on; nothing decides on it. */
  public static final String TEST = "test";

  /**
   * The fraction of the training queries carved into dev when a folder has no {@code
   * qrels/dev.tsv}. A fifth rather than a tenth: the gate's margins are a hundredth of nDCG, and a
   * tenth of SciFact's 809 training queries (about 80) is too few to tell that from noise.
   */
  public static final double DEV_FRACTION = 0.2;

  /**
   * Prefixed to the query id before hashing. Versioned: changing it, or {@link #DEV_FRACTION},
   * re-carves every folder, which makes earlier dev numbers incomparable.
   */
  public static final String DEV_SALT = "anvil-dev-v1";

  private Splits() {}

  /**
   * Whether a training query belongs to the carved dev split: the first 8 bytes of SHA-256 of the
   * UTF-8 bytes of {@code DEV_SALT + ":" + queryId}, read as a big-endian number, their top 53 bits
   * taken as a fraction in [0, 1), is below {@link #DEV_FRACTION}.
   */
  public static boolean carvedIntoDev(String queryId) {
    byte[] h = sha256((DEV_SALT + ":" + queryId).getBytes(StandardCharsets.UTF_8));
    long top = ByteBuffer.wrap(h, 0, Long.BYTES).getLong();
    return (top >>> 11) * 0x1.0p-53 < DEV_FRACTION;
  }

  /** Whether {@code split} names the test split (case and surrounding blanks ignored). */
  public static boolean isTest(String split) {
    return split.strip().toLowerCase(Locale.ROOT).equals(TEST);
  }

  /**
   * The judgements of {@code split} in {@code dir}: query id to (document id to graded relevance),
   * in file order.
   *
   * @throws BeirDataException naming the folder and file when a file a split needs is missing or
   *     malformed, or when a carved split would be empty
   * @throws IOException when a file exists but cannot be read
   */
  static Map<String, Map<String, Integer>> qrels(Path dir, String split) throws IOException {
    Path devFile = file(dir, DEV);
    return switch (split) {
      case DEV -> {
        if (Files.exists(devFile)) {
          yield read(devFile);
        }
        yield carve(dir, true);
      }
      case TRAIN_MINUS_DEV -> {
        if (Files.exists(devFile)) {
          Map<String, Map<String, Integer>> train = read(trainFile(dir));
          train.keySet().removeAll(read(devFile).keySet());
          yield nonEmpty(train, dir, "qrels/train.tsv without the queries of qrels/dev.tsv");
        }
        yield carve(dir, false);
      }
      default -> read(file(dir, split));
    };
  }

  /** The carved dev queries of qrels/train.tsv, or the others. */
  private static Map<String, Map<String, Integer>> carve(Path dir, boolean dev) throws IOException {
    Map<String, Map<String, Integer>> out = new LinkedHashMap<>();
    read(trainFile(dir))
        .forEach(
            (q, judged) -> {
              if (carvedIntoDev(q) == dev) {
                out.put(q, judged);
              }
            });
    return nonEmpty(
        out,
        dir,
        (dev ? "the dev split carved from" : "what is left of")
            + " qrels/train.tsv ("
            + DEV_FRACTION
            + " of its queries by a hash of their ids)");
  }

  private static Map<String, Map<String, Integer>> nonEmpty(
      Map<String, Map<String, Integer>> qrels, Path dir, String what) {
    if (qrels.isEmpty()) {
      throw new BeirDataException(
          dir
              + ": "
              + what
              + " has no query: too few training queries to carve a dev split; write"
              + " qrels/dev.tsv");
    }
    return qrels;
  }

  private static Path trainFile(Path dir) {
    Path train = file(dir, TRAIN);
    if (!Files.exists(train)) {
      throw new BeirDataException(
          dir
              + ": no qrels/dev.tsv, and no qrels/train.tsv to carve the dev split from (expected "
              + train
              + ")");
    }
    return train;
  }

  private static Path file(Path dir, String split) {
    return dir.resolve("qrels").resolve(split + ".tsv");
  }

  /** A qrels file: a header line, then {@code query-id corpus-id score} separated by tabs. */
  private static Map<String, Map<String, Integer>> read(Path file) throws IOException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (NoSuchFileException e) {
      throw new BeirDataException("no qrels file for this split: expected " + file, e);
    }
    Map<String, Map<String, Integer>> qrels = new LinkedHashMap<>();
    for (int i = 1; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      String[] cols = lines.get(i).split("\t");
      Integer score = cols.length == 3 ? integer(cols[2].strip()) : null;
      if (score == null) {
        throw new BeirDataException(
            file + ":" + (i + 1) + ": expected query-id, corpus-id, score (an integer)");
      }
      qrels.computeIfAbsent(cols[0], k -> new LinkedHashMap<>()).put(cols[1], score);
    }
    return qrels;
  }

  private static Integer integer(String s) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
