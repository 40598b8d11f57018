package dev.anvil.context.audit;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The hash chain of an {@link AuditLog}: its files in order and the check of every link. A record
 * is chained by the SHA-256 of its whole line (UTF-8, without the newline); the first record's
 * {@code prev} is 64 zeros.
 *
 * <p>What the chain shows: a record changed, removed or moved breaks the link after it (or leaves a
 * gap in the sequence numbers). What it cannot show alone: records cut off the end, or a whole log
 * rewritten by someone who can write it; compare the head with one kept elsewhere (the audit topic
 * carries it with every event, {@code anvil audit verify --head}).
 */
public final class AuditChain {
  private AuditChain() {}

  /** A record's place in the chain: its sequence number and the SHA-256 of its line. */
  public record Link(long seq, String sha256) {}

  /** Before the first record. */
  public static final Link GENESIS = new Link(0, "0".repeat(64));

  /** What {@link #verify} found. */
  public sealed interface Report {}

  /**
   * Every link holds.
   *
   * @param records how many records
   * @param head the last one
   * @param recovered lines cut short by a crash, each followed by its recovery record
   */
  public record Intact(long records, Link head, int recovered) implements Report {}

  /**
   * The first place where the chain breaks.
   *
   * @param file the file
   * @param line its line (1-based)
   * @param problem what is wrong, naming the record
   */
  public record Broken(Path file, long line, String problem) implements Report {
    @Override
    public String toString() {
      return file + ":" + line + ": " + problem;
    }
  }

  private static final Pattern TORN = Pattern.compile("torn_bytes=(\\d+)");

  /**
   * The log's files in chain order: the rotated ones ({@code <active>.1}, {@code .2}, ...), then
   * the active one if it exists.
   */
  public static List<Path> files(Path active) {
    Path dir = active.toAbsolutePath().getParent();
    String prefix = active.getFileName() + ".";
    List<Path> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.filter(p -> p.getFileName().toString().startsWith(prefix))
          .filter(p -> p.getFileName().toString().substring(prefix.length()).matches("[0-9]+"))
          .sorted(
              Comparator.comparingLong(
                  p -> Long.parseLong(p.getFileName().toString().substring(prefix.length()))))
          .forEach(out::add);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
    if (Files.exists(active)) {
      out.add(active.toAbsolutePath());
    }
    return out;
  }

  /** The sequence number of a file's first record, if it has one. */
  static Optional<Long> firstSeq(Path file) throws IOException {
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      while ((line = r.readLine()) != null) {
        Optional<JsonObject> o = record(line);
        if (o.isPresent()) {
          return Optional.of(o.get().get("seq").getAsLong());
        }
      }
    }
    return Optional.empty();
  }

  /** The last complete record of a file, if it has one. */
  static Optional<Link> lastLink(Path file) throws IOException {
    Optional<Link> last = Optional.empty();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      while ((line = r.readLine()) != null) {
        Optional<JsonObject> o = record(line);
        if (o.isPresent()) {
          last = Optional.of(new Link(o.get().get("seq").getAsLong(), sha256(line)));
        }
      }
    }
    return last;
  }

  /**
   * Checks every link of the log whose active file is {@code active}, and reports the first record
   * altered, removed or re-ordered.
   */
  public static Report verify(Path active) {
    return verify(active, Optional.empty());
  }

  /**
   * {@link #verify(Path)}, and the log must hold {@code kept} (a head kept elsewhere, such as the
   * audit topic's latest), so records altered or cut off at the end show too.
   */
  public static Report verify(Path active, Optional<Link> kept) {
    Link expected = GENESIS;
    Path prevFile = null;
    long prevLine = 0;
    long records = 0;
    int recovered = 0;
    for (Path file : files(active)) {
      List<String> lines;
      try {
        lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        return new Broken(file, 0, "cannot be read: " + e.getMessage());
      }
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        Optional<JsonObject> o = record(line);
        if (o.isEmpty()) {
          if (tornThenRecovered(line, i + 1 < lines.size() ? lines.get(i + 1) : null)) {
            recovered++;
            continue;
          }
          return new Broken(file, i + 1, "not an audit record (altered, or cut short)");
        }
        long seq = o.get().get("seq").getAsLong();
        String prev = o.get().get("prev").getAsString();
        if (seq > expected.seq() + 1) {
          return new Broken(
              file,
              i + 1,
              (seq - expected.seq() - 1 == 1
                      ? "record " + (expected.seq() + 1) + " is"
                      : "records " + (expected.seq() + 1) + " to " + (seq - 1) + " are")
                  + " missing before record "
                  + seq
                  + " (removed or moved)");
        }
        if (seq <= expected.seq()) {
          return new Broken(
              file,
              i + 1,
              "record "
                  + seq
                  + " comes after record "
                  + expected.seq()
                  + " (re-ordered or copied)");
        }
        if (!prev.equals(expected.sha256())) {
          return prevFile == null
              ? new Broken(file, i + 1, "record " + seq + " does not start the chain (altered)")
              : new Broken(
                  prevFile,
                  prevLine,
                  "record "
                      + expected.seq()
                      + " was altered: its SHA-256 is not the prev of record "
                      + seq);
        }
        expected = new Link(seq, sha256(line));
        if (kept.isPresent() && seq == kept.get().seq() && !expected.equals(kept.get())) {
          return new Broken(
              file,
              i + 1,
              "record " + seq + " is not the one the head kept elsewhere names (altered)");
        }
        prevFile = file;
        prevLine = i + 1;
        records++;
      }
    }
    if (kept.isPresent() && expected.seq() < kept.get().seq()) {
      Path last = prevFile == null ? active : prevFile;
      return new Broken(
          last,
          prevLine,
          "the log ends at record "
              + expected.seq()
              + ", the head kept elsewhere is record "
              + kept.get().seq()
              + " (records cut off the end)");
    }
    return new Intact(records, expected, recovered);
  }

  /** A line cut short by a crash, followed by the record the log appended when it reopened. */
  private static boolean tornThenRecovered(String line, String next) {
    if (next == null) {
      return false;
    }
    Optional<JsonObject> r = record(next);
    if (r.isEmpty() || !r.get().has("action") || !r.get().has("detail")) {
      return false;
    }
    Matcher m = TORN.matcher(r.get().get("detail").getAsString());
    return r.get().get("action").getAsString().equals(AuditEvent.RECOVERED)
        && m.matches()
        && Long.parseLong(m.group(1)) == line.getBytes(StandardCharsets.UTF_8).length;
  }

  /** The line as a chained record: a JSON object with a numeric seq and a text prev. */
  private static Optional<JsonObject> record(String line) {
    try {
      JsonElement e = JsonParser.parseString(line);
      if (e.isJsonObject()
          && e.getAsJsonObject().get("seq") instanceof JsonPrimitive seq
          && seq.isNumber()
          && e.getAsJsonObject().get("prev") instanceof JsonPrimitive prev
          && prev.isString()) {
        return Optional.of(e.getAsJsonObject());
      }
    } catch (RuntimeException e) {
      // not JSON: reported by the caller
    }
    return Optional.empty();
  }

  /** SHA-256 of a line, in hex. */
  static String sha256(String line) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(line.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }
}
