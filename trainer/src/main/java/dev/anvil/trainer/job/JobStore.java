package dev.anvil.trainer.job;

import dev.anvil.rbac.Principal;
import dev.anvil.store.Migration;
import dev.anvil.store.Migrations;
import dev.anvil.store.Store;
import dev.anvil.store.StoreConfig;
import dev.anvil.trainer.registry.ModelRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jobs: their records, states, histories, cancellation requests and claims in Anvil's {@link Store}
 * (the embedded H2 file {@code anvil-store.mv.db} in the job folder by default, PostgreSQL when
 * trainer replicas share it), their files on the job volume, one folder each:
 *
 * <pre>
 * jobs/&lt;id&gt;/work/     checkpoints
 * jobs/&lt;id&gt;/input/    the files submitted with it (from another machine)
 * jobs/&lt;id&gt;/corpus/   its synthetic data set, made when it was submitted (pairs.jsonl,
 *                     provenance.json)
 * </pre>
 *
 * Folders written by earlier versions (job.json, spec.yaml, state.json, events.jsonl) are read into
 * the store when it opens, once each, and left in place; so is the job folder's embedded store file
 * when the store is PostgreSQL (a trainer moved to a shared store).
 *
 * <p>A worker runs a job only while it holds the job's claim ({@link #claim}): a lease it renews,
 * so that two workers on one store never run the same job, and a job whose worker died is taken
 * over once its lease has run out. Thread-safe; several processes and replicas may share a store.
 */
public final class JobStore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(JobStore.class);

  /** The jobs' tables, as versioned steps. */
  static final Migrations MIGRATIONS =
      Migrations.of(
          "jobs",
          Migration.resource(1, "jobs, their events and claims", JobStore.class, "jobs-v1.sql"));

  static final String TERMINAL = "('succeeded', 'failed', 'cancelled')";
  private static final String COLUMNS =
      "id, name, owner, submitted_s, submitted_ns, state, claimed_by";

  /** The folder of a job's synthetic data set, made when it was submitted. */
  public static final String CORPUS = "corpus";

  private final Store store;
  private final boolean ownsStore;
  private final Path dir;
  private final Clock clock;
  private final Map<Path, ModelRegistry> registries = new ConcurrentHashMap<>();
  private final JobClaims claims;
  private final JobHistory history;
  private volatile EventListener listener;

  /**
   * The job store of {@code dir} (created if absent) on the embedded store file in it; folders of
   * earlier versions there are read in. {@link #close} closes that file.
   */
  public JobStore(Path dir) {
    this(Store.open(StoreConfig.embedded(created(dir))), dir, Clock.systemUTC(), true);
  }

  /**
   * Jobs in {@code store} (shared with others: {@link #close} leaves it open), their files in
   * {@code dir}; its folders of earlier versions are read in.
   */
  public JobStore(Store store, Path dir) {
    this(store, dir, Clock.systemUTC(), false);
  }

  JobStore(Store store, Path dir, Clock clock, boolean ownsStore) {
    this.store = store;
    this.ownsStore = ownsStore;
    this.dir = created(dir);
    this.clock = clock;
    this.claims = new JobClaims(store, clock);
    this.history = new JobHistory(store, clock);
    try {
      store.migrate(MIGRATIONS);
      EmbeddedStoreImport.importInto(store, this.dir);
      LegacyJobFolders.importAll(store, this.dir);
    } catch (RuntimeException e) {
      if (ownsStore) {
        store.close();
      }
      throw e;
    }
  }

  private static Path created(Path dir) {
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the job store " + dir, e);
    }
  }

  /** The folder of the jobs' files. */
  public Path dir() {
    return dir;
  }

  /** The store the jobs are in. */
  public Store store() {
    return store;
  }

  /**
   * The model registry of {@code models} (a folder of model directories) in this store: opened once
   * per store and folder, when model directories not yet indexed are read in.
   */
  public ModelRegistry models(Path models) {
    return registries.computeIfAbsent(
        models.toAbsolutePath().normalize(), m -> ModelRegistry.open(store, m));
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
   * Writes the job's folder ({@link JobFolders}), then records the job: a worker never sees a job
   * whose files are not all there.
   */
  private Job submit(
      String name,
      String specText,
      Path specDir,
      Map<String, byte[]> files,
      Map<String, byte[]> corpus,
      Principal owner) {
    Instant now = clock.instant();
    JobFolders.Made made = JobFolders.make(dir, name, now, specDir, files, corpus);
    String id = made.id();
    JobState queued = new JobState.Queued(now);
    String event = history.line(JobHistory.stateEvent(queued));
    String specDirText = made.inputs().toAbsolutePath().toString();
    try {
      store.transaction(
          c -> {
            try (PreparedStatement s =
                c.prepareStatement(
                    "INSERT INTO trainer_job (id, name, owner, submitted_s, submitted_ns, spec,"
                        + " spec_dir, state_label, state, claims)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)")) {
              s.setString(1, id);
              s.setString(2, name);
              s.setString(3, JobJson.principal(owner));
              s.setLong(4, now.getEpochSecond());
              s.setInt(5, now.getNano());
              s.setString(6, specText);
              s.setString(7, specDirText);
              s.setString(8, queued.label());
              s.setString(9, JobJson.state(queued));
              s.executeUpdate();
            }
            return JobHistory.append(c, id, event);
          });
    } catch (RuntimeException e) {
      JobFolders.deleteQuietly(made.folder());
      throw e;
    }
    notify(id, 0, event);
    return find(id).orElseThrow();
  }

  /** Every job, oldest first. */
  public List<Job> list() {
    return store.transaction(
        c -> {
          try (PreparedStatement s =
              c.prepareStatement(
                  "SELECT "
                      + COLUMNS
                      + " FROM trainer_job ORDER BY submitted_s, submitted_ns, id")) {
            return jobs(s);
          }
        });
  }

  /** A job by id, or by an unambiguous prefix of one. */
  public Optional<Job> find(String idOrPrefix) {
    if (idOrPrefix.length() > 200) {
      return Optional.empty(); // longer than any id
    }
    List<Job> found =
        store.transaction(
            c -> {
              try (PreparedStatement s =
                  c.prepareStatement("SELECT " + COLUMNS + " FROM trainer_job WHERE id = ?")) {
                s.setString(1, idOrPrefix);
                List<Job> exact = jobs(s);
                if (!exact.isEmpty()) {
                  return exact;
                }
              }
              try (PreparedStatement s =
                  c.prepareStatement(
                      "SELECT "
                          + COLUMNS
                          + " FROM trainer_job WHERE id LIKE ? ESCAPE '!' ORDER BY id"
                          + " FETCH FIRST 2 ROWS ONLY")) {
                // A prefix is a prefix: the caller's % and _ match only themselves.
                s.setString(1, idOrPrefix.replaceAll("([!%_])", "!$1") + "%");
                return jobs(s);
              }
            });
    return found.size() == 1 ? Optional.of(found.getFirst()) : Optional.empty();
  }

  private List<Job> jobs(PreparedStatement s) throws SQLException {
    List<Job> out = new ArrayList<>();
    try (ResultSet r = s.executeQuery()) {
      while (r.next()) {
        String id = r.getString(1);
        try {
          out.add(
              new Job(
                  id,
                  r.getString(2),
                  JobJson.principal(r.getString(3)),
                  Instant.ofEpochSecond(r.getLong(4), r.getInt(5)),
                  dir.resolve(id),
                  JobJson.state(r.getString(6))));
        } catch (RuntimeException e) {
          // One bad record never stops a worker nor hides the others.
          LOG.warn("skipping job {}: its record is unreadable: {}", id, e.toString());
        }
      }
    }
    return out;
  }

  /** The spec text and the directory its relative paths are relative to. */
  public JobSpec spec(Job job) {
    String[] spec =
        store.transaction(
            c -> {
              try (PreparedStatement s =
                  c.prepareStatement("SELECT spec, spec_dir FROM trainer_job WHERE id = ?")) {
                s.setString(1, job.id());
                try (ResultSet r = s.executeQuery()) {
                  if (!r.next()) {
                    throw new IllegalArgumentException("no job " + job.id());
                  }
                  return new String[] {r.getString(1), r.getString(2)};
                }
              }
            });
    Path specDir = Path.of(spec[1]);
    String where = "the spec of job " + job.id();
    // A spec that came with its files (from a trainer service's caller) stays confined to them.
    return specDir.equals(job.dir().resolve("input"))
        ? JobSpec.parseConfined(where, spec[0], specDir)
        : JobSpec.parse(where, spec[0], specDir);
  }

  /**
   * Records a new state and appends it to the history. A job that is over stays over: a state set
   * after that is ignored.
   */
  public void setState(String id, JobState state) {
    boolean recorded = !(state instanceof JobState.Running r && r.step() > 0);
    String event = recorded ? history.line(JobHistory.stateEvent(state)) : null;
    long sequence =
        store.transaction(
            c -> {
              try (PreparedStatement s =
                  c.prepareStatement(
                      "UPDATE trainer_job SET state_label = ?, state = ? WHERE id = ?"
                          + " AND state_label NOT IN "
                          + TERMINAL)) {
                s.setString(1, state.label());
                s.setString(2, JobJson.state(state));
                s.setString(3, id);
                if (s.executeUpdate() == 0 || event == null) {
                  return -1L;
                }
              }
              return JobHistory.append(c, id, event);
            });
    if (sequence >= 0) {
      notify(id, sequence, event);
    }
  }

  /** Appends an event (a flat JSON object with {@code time} and {@code type}) to the history. */
  public void event(String id, Map<String, Object> fields) {
    String line = history.line(fields);
    long sequence = store.transaction(c -> JobHistory.append(c, id, line));
    notify(id, sequence, line);
  }

  private void notify(String id, long sequence, String line) {
    EventListener l = listener;
    if (l != null) {
      try {
        l.appended(id, sequence, line);
      } catch (RuntimeException ex) {
        LOG.warn("could not pass on an event of {}: {}", id, ex.toString());
      }
    }
  }

  /** The history from event {@code from} on, as events. */
  public List<JobEvent> history(String id, long from) {
    List<String> lines = events(id, from);
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
     * @param sequence the event's number in the job's history, from 0
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

  /** The history's events (JSON, one each) from number {@code from} (0-based) on. */
  public List<String> events(String id, long from) {
    return history.events(id, from);
  }

  /**
   * Cancels a job: a queued one that no worker has claimed at once; a claimed, validating or
   * running one at its next step (its worker, on whichever replica, sees the request). Returns
   * false if it is already over.
   *
   * @throws IllegalArgumentException if there is no such job
   */
  public boolean cancel(String id) {
    Instant now = clock.instant();
    JobState cancelled = new JobState.Cancelled(now);
    String stateEvent = history.line(JobHistory.stateEvent(cancelled));
    String requested = history.line(Map.of("type", "log", "message", "cancellation requested"));
    long[] appended =
        store.transaction(
            c -> {
              String label;
              boolean claimed;
              try (PreparedStatement s =
                  c.prepareStatement(
                      "SELECT state_label, claimed_by, lease_until FROM trainer_job"
                          + " WHERE id = ? FOR UPDATE")) {
                s.setString(1, id);
                try (ResultSet r = s.executeQuery()) {
                  if (!r.next()) {
                    throw new IllegalArgumentException("no job " + id);
                  }
                  label = r.getString(1);
                  claimed = r.getString(2) != null && r.getLong(3) >= now.toEpochMilli();
                }
              }
              if (TERMINAL.contains("'" + label + "'")) {
                return null;
              }
              boolean atOnce = label.equals("queued") && !claimed;
              try (PreparedStatement s =
                  c.prepareStatement(
                      "UPDATE trainer_job SET cancel_requested = ?"
                          + (atOnce ? ", state_label = ?, state = ?" : "")
                          + " WHERE id = ?")) {
                s.setString(1, now.toString());
                int i = 2;
                if (atOnce) {
                  s.setString(i++, cancelled.label());
                  s.setString(i++, JobJson.state(cancelled));
                }
                s.setString(i, id);
                s.executeUpdate();
              }
              return new long[] {
                atOnce ? 1 : 0, JobHistory.append(c, id, atOnce ? stateEvent : requested)
              };
            });
    if (appended == null) {
      return false;
    }
    notify(id, appended[1], appended[0] == 1 ? stateEvent : requested);
    return true;
  }

  /** Whether someone asked to cancel the job. */
  public boolean cancelRequested(String id) {
    return store.transaction(
        c -> {
          try (PreparedStatement s =
              c.prepareStatement("SELECT cancel_requested FROM trainer_job WHERE id = ?")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
              return r.next() && r.getString(1) != null;
            }
          }
        });
  }

  /**
   * Claims the next job for {@code worker}, for {@code lease}: first one left validating or running
   * (its worker died: its lease ran out, or it was this worker, which holds the device now), then
   * the oldest queued one. A job is claimed by one worker at a time, whatever the number of
   * replicas: the update that claims it checks that no live claim is held.
   *
   * @return the claimed job, or empty if none is free
   */
  public Optional<Job> claim(String worker, Duration lease) {
    return claims.claim(worker, lease, id -> find(id));
  }

  /**
   * Extends {@code worker}'s claim of a job by {@code lease} from now (the heartbeat of a running
   * job). Returns false if the worker no longer holds it: another took it over.
   */
  public boolean renew(String id, String worker, Duration lease) {
    return claims.renew(id, worker, lease);
  }

  /** Gives up {@code worker}'s claim of a job (it is over, or the worker stops). */
  public void release(String id, String worker) {
    claims.release(id, worker);
  }

  /** The worker holding a job's claim, if any (live or not). */
  public Optional<String> claimedBy(String id) {
    return claims.claimedBy(id);
  }

  /** How many times a job was claimed: once for a job run straight through. */
  public int claims(String id) {
    return claims.count(id);
  }

  /** Closes the store if this job store opened it ({@link #JobStore(Path)}). */
  @Override
  public void close() {
    if (ownsStore) {
      store.close();
    }
  }

  @Override
  public String toString() {
    return "JobStore[" + dir + ", " + store + "]";
  }
}
