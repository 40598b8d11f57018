package dev.anvil.trainer.job;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.rbac.Principal;
import dev.anvil.trainer.Folders;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job store of Anvil before jobs moved into the store, kept verbatim (renamed) as the writer of
 * the data directories an upgrade must read: jobs on the local disk, one directory each:
 *
 * <pre>
 * jobs/&lt;id&gt;/job.json       id, name, owner, submission time, the spec's directory
 * jobs/&lt;id&gt;/spec.yaml      the spec as submitted
 * jobs/&lt;id&gt;/state.json     the current {@link JobState} (replaced atomically)
 * jobs/&lt;id&gt;/events.jsonl   the history: states, steps (loss, learning rate, throughput),
 *                          evaluations, checkpoints (append-only; `anvil train logs` follows it)
 * jobs/&lt;id&gt;/work/          checkpoints
 * jobs/&lt;id&gt;/input/         the files submitted with it (from another machine)
 * jobs/&lt;id&gt;/corpus/        its synthetic data set, made when it was submitted (pairs.jsonl,
 *                          provenance.json)
 * </pre>
 *
 * Several processes may read while one worker writes.
 */
public final class FolderJobStore {
  private static final SecureRandom RANDOM = new SecureRandom();

  private static final Gson GSON = new Gson();
  private static final DateTimeFormatter ID_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  private static final Logger LOG = LoggerFactory.getLogger(FolderJobStore.class);

  /** The folder of a job's synthetic data set, made when it was submitted. */
  public static final String CORPUS = "corpus";

  private final Path dir;
  private final Map<String, Long> nextSequence = new ConcurrentHashMap<>();
  private volatile EventListener listener;

  /** A store in {@code dir} (created if absent). */
  public FolderJobStore(Path dir) {
    this.dir = dir;
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the job store " + dir, e);
    }
  }

  /** The store's directory. */
  public Path dir() {
    return dir;
  }

  /** Queues a job; the spec text is kept as submitted, relative paths against {@code specDir}. */
  public Job submit(String name, String specText, Path specDir, Principal owner) {
    return submit(name, specText, specDir, Map.of(), Map.of(), owner);
  }

  /**
   * Like {@link #submit(String, String, Path, Principal)}, with the files of the job's corpus made
   * when it was submitted (a synthetic data set), kept in its {@link #CORPUS} folder.
   */
  public Job submit(
      String name, String specText, Path specDir, Map<String, byte[]> corpus, Principal owner) {
    return submit(name, specText, specDir, Map.of(), corpus, owner);
  }

  /**
   * Queues a job whose data came with it (a submission over the network): {@code files}, by their
   * paths relative to the spec, are kept in the job's {@code input/} folder, which the spec's
   * relative paths then resolve against.
   *
   * @throws JobSpecException if a file's path is absolute or leaves the folder
   */
  public Job submit(String name, String specText, Map<String, byte[]> files, Principal owner) {
    return submit(name, specText, files, Map.of(), owner);
  }

  /**
   * Like {@link #submit(String, String, Map, Principal)}, with the files of the job's corpus made
   * when it was submitted (a synthetic data set), kept in its {@link #CORPUS} folder.
   */
  public Job submit(
      String name,
      String specText,
      Map<String, byte[]> files,
      Map<String, byte[]> corpus,
      Principal owner) {
    List<String> problems = new ArrayList<>();
    files.keySet().stream()
        .filter(
            f -> Path.of(f).isAbsolute() || !Path.of("in").resolve(f).normalize().startsWith("in"))
        .forEach(f -> problems.add("file '" + f + "': must be a path inside the spec's folder"));
    if (!problems.isEmpty()) {
      throw new JobSpecException(problems);
    }
    return submit(name, specText, null, files, corpus, owner);
  }

  /**
   * Writes the job in a hidden staging folder, then renames it into place in one step: a reader
   * never sees a job half-written, and the rename fails rather than overwrite a folder that exists.
   */
  private Job submit(
      String name,
      String specText,
      Path specDir,
      Map<String, byte[]> files,
      Map<String, byte[]> corpus,
      Principal owner) {
    Instant now = Instant.now();
    while (true) {
      // Unguessable (96 random bits) and never reused.
      byte[] random = new byte[12];
      RANDOM.nextBytes(random);
      String id = name + "-" + ID_TIME.format(now) + "-" + HexFormat.of().formatHex(random);
      Path d = dir.resolve(id);
      Path staging = dir.resolve(".staging-" + id);
      try {
        Files.createDirectory(staging);
        Path inputs = specDir;
        if (inputs == null) {
          inputs = d.resolve("input");
          for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Path to = staging.resolve("input").resolve(f.getKey()).normalize();
            Files.createDirectories(to.getParent());
            Files.write(to, f.getValue());
          }
          Files.createDirectories(staging.resolve("input"));
        }
        for (Map.Entry<String, byte[]> f : corpus.entrySet()) {
          // Named by the trainer itself (a data set's fixed file names), never by a submitter.
          Files.createDirectories(staging.resolve(CORPUS));
          Files.write(staging.resolve(CORPUS).resolve(f.getKey()), f.getValue());
        }
        Files.writeString(staging.resolve("spec.yaml"), specText);
        JsonObject job = new JsonObject();
        job.addProperty("id", id);
        job.addProperty("name", name);
        job.add("owner", principal(owner));
        job.addProperty("submitted", now.toString());
        job.addProperty("spec_dir", inputs.toAbsolutePath().toString());
        Files.writeString(staging.resolve("job.json"), GSON.toJson(job));
        Files.writeString(
            staging.resolve("state.json"), GSON.toJson(stateJson(new JobState.Queued(now))));
        Files.move(staging, d, StandardCopyOption.ATOMIC_MOVE);
        setState(id, new JobState.Queued(now)); // records the event, as every change of state
        return find(id).orElseThrow();
      } catch (java.nio.file.FileAlreadyExistsException taken) {
        deleteQuietly(staging); // a collision of 96 random bits: draw again
      } catch (IOException e) {
        deleteQuietly(staging);
        throw new UncheckedIOException("cannot write job " + name + " in " + dir, e);
      }
    }
  }

  private static void deleteQuietly(Path dir) {
    try {
      Folders.delete(dir);
    } catch (IOException e) {
      LOG.warn("cannot remove {}: {}", dir, e.toString());
    }
  }

  /** Every job, oldest first. */
  public List<Job> list() {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> !p.getFileName().toString().startsWith("."))
          .filter(p -> Files.exists(p.resolve("job.json")))
          .flatMap(p -> loadOrSkip(p.getFileName().toString()).stream())
          .sorted(Comparator.comparing(Job::submitted).thenComparing(Job::id))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  /** A job by id, or by an unambiguous prefix of one. */
  public Optional<Job> find(String idOrPrefix) {
    if (Files.exists(dir.resolve(idOrPrefix).resolve("job.json"))) {
      return Optional.of(load(idOrPrefix));
    }
    List<Job> matches = list().stream().filter(j -> j.id().startsWith(idOrPrefix)).toList();
    return matches.size() == 1 ? Optional.of(matches.getFirst()) : Optional.empty();
  }

  /** The spec text and the directory its relative paths are relative to. */
  public JobSpec spec(Job job) {
    try {
      JsonObject o =
          JsonParser.parseString(Files.readString(job.dir().resolve("job.json"))).getAsJsonObject();
      Path specDir = Path.of(o.get("spec_dir").getAsString());
      String where = job.dir().resolve("spec.yaml").toString();
      String text = Files.readString(job.dir().resolve("spec.yaml"));
      // A spec that came with its files (from a trainer service's caller) stays confined to them.
      return specDir.equals(job.dir().resolve("input"))
          ? JobSpec.parseConfined(where, text, specDir)
          : JobSpec.parse(where, text, specDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the spec of " + job.id(), e);
    }
  }

  /** Records a new state (atomically) and appends it to the history. */
  public void setState(String id, JobState state) {
    JsonObject o = stateJson(state);
    Path d = dir.resolve(id);
    Path tmp = d.resolve("state.json.tmp");
    try {
      Files.writeString(tmp, GSON.toJson(o));
      Files.move(
          tmp,
          d.resolve("state.json"),
          StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the state of " + id, e);
    }
    if (!(state instanceof JobState.Running r && r.step() > 0)) {
      Map<String, Object> event = new LinkedHashMap<>();
      event.put("type", "state");
      event.put("state", state.label());
      if (state instanceof JobState.Failed f) {
        event.put("reason", f.reason());
      }
      if (state instanceof JobState.Succeeded s) {
        event.put("model", s.model());
        event.put("metrics", s.metrics());
      }
      event(id, event);
    }
  }

  /** Appends an event (a flat JSON object with {@code time} and {@code type}) to the history. */
  public void event(String id, Map<String, Object> fields) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("time", Instant.now().toString());
    e.put("type", fields.get("type"));
    new java.util.TreeMap<>(fields).forEach(e::putIfAbsent); // a stable order for readers
    String line = GSON.toJson(e);
    try (Writer w =
        Files.newBufferedWriter(
            dir.resolve(id).resolve("events.jsonl"),
            StandardCharsets.UTF_8,
            StandardOpenOption.CREATE,
            StandardOpenOption.APPEND)) {
      w.write(line);
      w.write('\n');
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot append to the history of " + id, ex);
    }
    EventListener l = listener;
    if (l != null) {
      long sequence =
          nextSequence.compute(id, (k, n) -> n != null ? n + 1 : events(id, 0).size() - 1L);
      try {
        l.appended(id, sequence, line);
      } catch (RuntimeException ex) {
        LOG.warn("could not pass on an event of {}: {}", id, ex.toString());
      }
    }
  }

  /** The history from line {@code from} on, as events. */
  public List<JobEvent> history(String id, long from) {
    List<String> lines = events(id, (int) from);
    List<JobEvent> out = new ArrayList<>(lines.size());
    for (int i = 0; i < lines.size(); i++) {
      out.add(JobEvent.parse(from + i, lines.get(i)));
    }
    return out;
  }

  /** Told of each event a store appends. */
  @FunctionalInterface
  public interface EventListener {
    /**
     * @param sequence the event's line in the job's history, from 0
     * @param json the event as stored (see {@link JobEvent})
     */
    void appended(String jobId, long sequence, String json);
  }

  /**
   * Tells {@code listener} of every event this store instance appends from now on (the trainer
   * service produces them to Kafka). A listener that throws does not stop the job.
   */
  public void onEvent(EventListener listener) {
    this.listener = listener;
  }

  /** Appends a line of text to the history ({@code type: log}). */
  public void log(String id, String message) {
    event(id, Map.of("type", "log", "message", message));
  }

  /**
   * The history's lines from line {@code from} (0-based) on; a partly written last line is left
   * out.
   */
  public List<String> events(String id, int from) {
    Path f = dir.resolve(id).resolve("events.jsonl");
    if (!Files.exists(f)) {
      return List.of();
    }
    try {
      String all = Files.readString(f);
      List<String> lines = new ArrayList<>(all.lines().toList());
      if (!all.isEmpty() && !all.endsWith("\n")) {
        lines.removeLast();
      }
      return lines.subList(Math.min(from, lines.size()), lines.size());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the history of " + id, e);
    }
  }

  /**
   * Cancels a job: a queued one at once, a validating or running one at its next step (the worker
   * sees the request). Returns false if it is already over.
   */
  public boolean cancel(String id) {
    Job job = load(id);
    if (job.state().terminal()) {
      return false;
    }
    if (job.state() instanceof JobState.Queued) {
      setState(id, new JobState.Cancelled(Instant.now()));
      return true;
    }
    try {
      Files.writeString(job.dir().resolve("cancel-requested"), Instant.now().toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot request cancellation of " + id, e);
    }
    log(id, "cancellation requested");
    return true;
  }

  /** Whether someone asked to cancel the job. */
  public boolean cancelRequested(String id) {
    return Files.exists(dir.resolve(id).resolve("cancel-requested"));
  }

  /** A job, or empty (logged) if its folder cannot be read: one bad folder never stops a worker. */
  private Optional<Job> loadOrSkip(String id) {
    try {
      return Optional.of(load(id));
    } catch (RuntimeException e) {
      LOG.warn("skipping job folder {}: {}", id, e.toString());
      return Optional.empty();
    }
  }

  private Job load(String id) {
    Path d = dir.resolve(id);
    try {
      JsonObject o =
          JsonParser.parseString(Files.readString(d.resolve("job.json"))).getAsJsonObject();
      JsonObject s =
          JsonParser.parseString(Files.readString(d.resolve("state.json"))).getAsJsonObject();
      return new Job(
          id,
          o.get("name").getAsString(),
          principal(o.getAsJsonObject("owner")),
          Instant.parse(o.get("submitted").getAsString()),
          d,
          state(s));
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException(
          "job " + id + " in " + d + " is unreadable: " + e.getMessage(), e);
    }
  }

  private static JsonObject stateJson(JobState state) {
    JsonObject o = new JsonObject();
    o.addProperty("state", state.label());
    o.addProperty("at", state.at().toString());
    switch (state) {
      case JobState.Running r -> {
        o.addProperty("step", r.step());
        o.addProperty("total_steps", r.totalSteps());
      }
      case JobState.Succeeded s -> {
        o.addProperty("model", s.model());
        o.add("metrics", GSON.toJsonTree(s.metrics()));
      }
      case JobState.Failed f -> o.addProperty("reason", f.reason());
      case JobState.Queued q -> {}
      case JobState.Validating v -> {}
      case JobState.Cancelled c -> {}
    }
    return o;
  }

  private static JobState state(JsonObject o) {
    Instant at = Instant.parse(o.get("at").getAsString());
    return switch (o.get("state").getAsString()) {
      case "queued" -> new JobState.Queued(at);
      case "validating" -> new JobState.Validating(at);
      case "running" ->
          new JobState.Running(at, o.get("step").getAsInt(), o.get("total_steps").getAsInt());
      case "succeeded" -> {
        Map<String, Double> metrics = new HashMap<>();
        o.getAsJsonObject("metrics")
            .entrySet()
            .forEach(e -> metrics.put(e.getKey(), e.getValue().getAsDouble()));
        yield new JobState.Succeeded(at, o.get("model").getAsString(), metrics);
      }
      case "failed" -> new JobState.Failed(at, o.get("reason").getAsString());
      case "cancelled" -> new JobState.Cancelled(at);
      default -> throw new IllegalStateException("unknown state " + o.get("state"));
    };
  }

  private static JsonObject principal(Principal p) {
    JsonObject o = new JsonObject();
    o.addProperty("subject", p.subject());
    o.add("roles", GSON.toJsonTree(p.roles()));
    o.add("groups", GSON.toJsonTree(p.groups()));
    o.add("attributes", GSON.toJsonTree(p.attributes()));
    return o;
  }

  private static Principal principal(JsonObject o) {
    // A list of values each (jobs written before attributes were lists hold one text each).
    Map<String, java.util.List<String>> attributes = new LinkedHashMap<>();
    o.getAsJsonObject("attributes")
        .entrySet()
        .forEach(
            e ->
                attributes.put(
                    e.getKey(),
                    e.getValue().isJsonArray()
                        ? java.util.List.copyOf(strings(e.getValue().getAsJsonArray()))
                        : java.util.List.of(e.getValue().getAsString())));
    return new Principal(
        o.get("subject").getAsString(),
        strings(o.getAsJsonArray("roles")),
        strings(o.getAsJsonArray("groups")),
        attributes);
  }

  private static java.util.Set<String> strings(JsonArray a) {
    java.util.Set<String> out = new HashSet<>();
    for (JsonElement e : a) {
      out.add(e.getAsString());
    }
    return out;
  }
}
