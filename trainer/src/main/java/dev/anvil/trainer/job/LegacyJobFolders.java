package dev.anvil.trainer.job;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.store.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the job folders of earlier versions (job.json, spec.yaml, state.json, events.jsonl,
 * cancel-requested) into the store: each job once, in one transaction with its whole history, so
 * that every job, state and event is still there after an upgrade. The folders stay as they were
 * (they hold the jobs' checkpoints and files); a folder that cannot be read is logged and left for
 * the next start, never half-imported.
 */
final class LegacyJobFolders {
  private static final Logger LOG = LoggerFactory.getLogger(LegacyJobFolders.class);

  private LegacyJobFolders() {}

  /** Imports every folder of {@code dir} that holds a job.json and is not in the store yet. */
  static int importAll(Store store, Path dir) {
    List<Path> folders;
    try (Stream<Path> s = Files.list(dir)) {
      folders =
          s.filter(p -> !p.getFileName().toString().startsWith("."))
              .filter(p -> Files.isRegularFile(p.resolve("job.json")))
              .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the job folder " + dir, e);
    }
    if (folders.isEmpty()) {
      return 0;
    }
    Set<String> known = known(store);
    int imported = 0;
    for (Path folder : folders) {
      String id = folder.getFileName().toString();
      if (known.contains(id)) {
        continue;
      }
      try {
        importOne(store, folder);
        imported++;
      } catch (IOException | RuntimeException e) {
        LOG.warn("job folder {} could not be read into the store: {}", folder, e.toString());
      }
    }
    if (imported > 0) {
      LOG.info("store: read {} job folders of an earlier version from {}", imported, dir);
    }
    return imported;
  }

  private static Set<String> known(Store store) {
    return store.transaction(
        c -> {
          Set<String> ids = new HashSet<>();
          try (PreparedStatement s = c.prepareStatement("SELECT id FROM trainer_job");
              ResultSet r = s.executeQuery()) {
            while (r.next()) {
              ids.add(r.getString(1));
            }
          }
          return ids;
        });
  }

  private static void importOne(Store store, Path d) throws IOException {
    String id = d.getFileName().toString();
    JsonObject job =
        JsonParser.parseString(Files.readString(d.resolve("job.json"))).getAsJsonObject();
    if (!id.equals(job.get("id").getAsString())) {
      throw new IllegalStateException(
          "job.json names job " + job.get("id") + ", not its folder's " + id);
    }
    String stateText = Files.readString(d.resolve("state.json"));
    JobState state = JobJson.state(stateText); // checked: an unreadable state is not imported
    String owner = JobJson.GSON.toJson(job.getAsJsonObject("owner"));
    JobJson.principal(owner);
    Instant submitted = Instant.parse(job.get("submitted").getAsString());
    String spec = Files.readString(d.resolve("spec.yaml"));
    List<String> events = events(d.resolve("events.jsonl"));
    Path cancel = d.resolve("cancel-requested");
    String cancelRequested = Files.exists(cancel) ? Files.readString(cancel).strip() : null;
    store.transaction(
        c -> {
          try (PreparedStatement s =
              c.prepareStatement(
                  "INSERT INTO trainer_job (id, name, owner, submitted_s, submitted_ns, spec,"
                      + " spec_dir, state_label, state, cancel_requested, claims)"
                      + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)")) {
            s.setString(1, id);
            s.setString(2, job.get("name").getAsString());
            s.setString(3, owner);
            s.setLong(4, submitted.getEpochSecond());
            s.setInt(5, submitted.getNano());
            s.setString(6, spec);
            s.setString(7, job.get("spec_dir").getAsString());
            s.setString(8, state.label());
            s.setString(9, stateText);
            s.setString(10, cancelRequested);
            s.executeUpdate();
          }
          try (PreparedStatement s =
              c.prepareStatement(
                  "INSERT INTO trainer_job_event (job_id, seq, event) VALUES (?, ?, ?)")) {
            for (int i = 0; i < events.size(); i++) {
              s.setString(1, id);
              s.setLong(2, i);
              s.setString(3, events.get(i));
              s.addBatch();
            }
            s.executeBatch();
          }
          return null;
        });
  }

  /** The history's complete lines (a last line cut short by a killed writer never was an event). */
  private static List<String> events(Path f) throws IOException {
    if (!Files.exists(f)) {
      return List.of();
    }
    String all = Files.readString(f);
    List<String> lines = new ArrayList<>(all.lines().toList());
    if (!all.isEmpty() && !all.endsWith("\n")) {
      lines.removeLast();
    }
    return lines;
  }
}
