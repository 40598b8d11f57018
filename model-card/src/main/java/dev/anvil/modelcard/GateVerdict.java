package dev.anvil.modelcard;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A passing verdict of the promotion gate, kept beside the model it passed ({@value #FILE} in the
 * model's directory, one JSON object per line, appended by the trainer): the candidate may replace
 * exactly the model whose {@code model.onnx} has {@code servingDigest}, and holds for exactly the
 * candidate whose {@code model.onnx} has {@code candidateDigest}. A context engine switches to a
 * registry model only with such a verdict for the bytes it loaded and the model it serves (or an
 * audited override), so neither a caller's choice of baseline nor a changed file passes the gate.
 *
 * <p>The file is written only by the trainer, in the model registry that engines mount read-only
 * and that callers reach only by model id; whoever can write the registry can change the models
 * themselves.
 *
 * @param decision the gate decision's id (its audit event)
 * @param candidate the candidate's registry id
 * @param candidateDigest SHA-256 (hex) of the candidate's {@code model.onnx}
 * @param servingDigest SHA-256 (hex) of the {@code model.onnx} it was measured against
 * @param decidedBy who asked the gate (a subject, or {@code operator})
 * @param decidedAt when
 * @param policyVersion the policy version in force
 */
public record GateVerdict(
    String decision,
    String candidate,
    String candidateDigest,
    String servingDigest,
    String decidedBy,
    Instant decidedAt,
    String policyVersion) {
  /** The verdicts' file in a model directory. */
  public static final String FILE = "anvil-gate-verdicts.jsonl";

  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

  public GateVerdict {
    Objects.requireNonNull(decision, "decision");
    Objects.requireNonNull(candidate, "candidate");
    Objects.requireNonNull(candidateDigest, "candidateDigest");
    Objects.requireNonNull(servingDigest, "servingDigest");
    Objects.requireNonNull(decidedBy, "decidedBy");
    Objects.requireNonNull(decidedAt, "decidedAt");
    Objects.requireNonNull(policyVersion, "policyVersion");
  }

  /** Appends this verdict to the candidate's directory, durably. */
  public void record(Path modelDir) {
    JsonObject o = new JsonObject();
    o.addProperty("decision", decision);
    o.addProperty("candidate", candidate);
    o.addProperty("candidate_digest", candidateDigest);
    o.addProperty("serving_digest", servingDigest);
    o.addProperty("decided_by", decidedBy);
    o.addProperty("decided_at", decidedAt.toString());
    o.addProperty("policy_version", policyVersion);
    try {
      Files.writeString(
          modelDir.resolve(FILE),
          GSON.toJson(o) + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND,
          StandardOpenOption.SYNC);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot record the gate verdict in " + modelDir, e);
    }
  }

  /**
   * The verdict that lets the model in {@code modelDir}, whose bytes have {@code candidateDigest},
   * replace the model with {@code servingDigest}; empty if there is none. A line that cannot be
   * read is no verdict.
   */
  public static Optional<GateVerdict> find(
      Path modelDir, String candidateDigest, String servingDigest) {
    Path file = modelDir.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    for (String line : lines.reversed()) {
      Optional<GateVerdict> v = parse(line);
      if (v.isPresent()
          && v.get().candidateDigest().equals(candidateDigest)
          && v.get().servingDigest().equals(servingDigest)) {
        return v;
      }
    }
    return Optional.empty();
  }

  private static Optional<GateVerdict> parse(String line) {
    try {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      return Optional.of(
          new GateVerdict(
              text(o, "decision"),
              text(o, "candidate"),
              text(o, "candidate_digest"),
              text(o, "serving_digest"),
              text(o, "decided_by"),
              Instant.parse(text(o, "decided_at")),
              text(o, "policy_version")));
    } catch (JsonParseException | IllegalStateException | DateTimeParseException e) {
      return Optional.empty();
    }
  }

  private static String text(JsonObject o, String field) {
    if (!(o.get(field) instanceof JsonPrimitive p) || !p.isString()) {
      throw new IllegalStateException("no " + field);
    }
    return p.getAsString();
  }

  /** SHA-256 (hex) of a model directory's {@code model.onnx}: the bytes an engine serves. */
  public static String digest(Path modelDir) {
    Path file = modelDir.resolve("model.onnx");
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha)) {
      in.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return HexFormat.of().formatHex(sha.digest());
  }
}
