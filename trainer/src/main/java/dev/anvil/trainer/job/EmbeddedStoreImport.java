package dev.anvil.trainer.job;

import dev.anvil.store.Dialect;
import dev.anvil.store.Store;
import dev.anvil.store.StoreConfig;
import dev.anvil.trainer.registry.ModelRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When a trainer moves from its embedded store to PostgreSQL, copies what the job folder's embedded
 * file holds (jobs with their histories, the model registry's index) into PostgreSQL: each job and
 * model once, in one transaction with its history, claims left behind (the workers that held them
 * are gone). The file stays as it was.
 */
final class EmbeddedStoreImport {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedStoreImport.class);

  private static final String JOB_COLUMNS =
      "id, name, owner, submitted_s, submitted_ns, spec, spec_dir, state_label, state,"
          + " cancel_requested, claims";
  private static final String MODEL_COLUMNS = "id, created_s, created_ns, path, onnx, card";

  private EmbeddedStoreImport() {}

  /** Copies the embedded file of {@code dir}, if there is one, into {@code target} (PostgreSQL). */
  static void importInto(Store target, Path dir) {
    if (target.dialect() != Dialect.POSTGRESQL
        || !Files.exists(dir.resolve(StoreConfig.EMBEDDED_NAME + ".mv.db"))) {
      return;
    }
    try (Store embedded = Store.open(StoreConfig.embedded(dir))) {
      embedded.migrate(JobStore.MIGRATIONS);
      embedded.migrate(ModelRegistry.MIGRATIONS);
      target.migrate(ModelRegistry.MIGRATIONS);
      int jobs = copy(embedded, target, "trainer_job", JOB_COLUMNS, true);
      int models = copy(embedded, target, "trainer_model", MODEL_COLUMNS, false);
      if (jobs + models > 0) {
        LOG.info(
            "store: copied {} jobs and {} models of the embedded store in {} into {}",
            jobs,
            models,
            dir,
            target);
      }
    }
  }

  private static int copy(Store from, Store to, String table, String columns, boolean withEvents) {
    Set<String> present = ids(to, table);
    List<String> missing = new ArrayList<>(ids(from, table));
    missing.removeAll(present);
    missing.sort(null);
    int n = columns.split(",").length;
    String marks = String.join(", ", java.util.Collections.nCopies(n, "?"));
    for (String id : missing) {
      List<Object> row = from.transaction(c -> row(c, table, columns, id));
      List<Object[]> events =
          withEvents ? from.transaction(c -> events(c, id)) : List.<Object[]>of();
      to.transaction(
          c -> {
            try (PreparedStatement s =
                c.prepareStatement(
                    "INSERT INTO " + table + " (" + columns + ") VALUES (" + marks + ")")) {
              for (int i = 0; i < n; i++) {
                s.setObject(i + 1, row.get(i));
              }
              s.executeUpdate();
            }
            try (PreparedStatement s =
                c.prepareStatement(
                    "INSERT INTO trainer_job_event (job_id, seq, event) VALUES (?, ?, ?)")) {
              for (Object[] e : events) {
                s.setString(1, id);
                s.setLong(2, (Long) e[0]);
                s.setString(3, (String) e[1]);
                s.addBatch();
              }
              if (!events.isEmpty()) {
                s.executeBatch();
              }
            }
            return null;
          });
    }
    return missing.size();
  }

  private static Set<String> ids(Store store, String table) {
    return store.transaction(
        c -> {
          Set<String> ids = new HashSet<>();
          try (PreparedStatement s = c.prepareStatement("SELECT id FROM " + table);
              ResultSet r = s.executeQuery()) {
            while (r.next()) {
              ids.add(r.getString(1));
            }
          }
          return ids;
        });
  }

  private static List<Object> row(Connection c, String table, String columns, String id)
      throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement("SELECT " + columns + " FROM " + table + " WHERE id = ?")) {
      s.setString(1, id);
      try (ResultSet r = s.executeQuery()) {
        r.next();
        List<Object> out = new ArrayList<>();
        for (int i = 1; i <= r.getMetaData().getColumnCount(); i++) {
          out.add(r.getObject(i));
        }
        return out;
      }
    }
  }

  private static List<Object[]> events(Connection c, String id) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT seq, event FROM trainer_job_event WHERE job_id = ? ORDER BY seq")) {
      s.setString(1, id);
      List<Object[]> out = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.add(new Object[] {r.getLong(1), r.getString(2)});
        }
      }
      return out;
    }
  }
}
