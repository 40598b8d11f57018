package dev.anvil.store.internal;

import dev.anvil.store.Dialect;
import dev.anvil.store.Migration;
import dev.anvil.store.Migrations;
import dev.anvil.store.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a component's pending migrations on one connection, each in a transaction of its own
 * together with its row in {@code anvil_schema_version}.
 *
 * <p>Two replicas of a cluster may start at once: on PostgreSQL they take turns under a
 * session-level advisory lock, and the second finds the steps applied. H2's file is open in one
 * process only, so a lock in this JVM is enough there.
 */
public final class Migrator {
  private static final Logger LOG = LoggerFactory.getLogger(Migrator.class);

  /** The advisory lock's key: any constant that no other Anvil lock uses. */
  private static final long LOCK_KEY = 0x616e76696c5f7631L; // "anvil_v1"

  private static final ReentrantLock LOCAL = new ReentrantLock();

  private final Connection c;
  private final Dialect dialect;

  /** A migrator on {@code c}, which must not be in auto-commit mode. */
  public Migrator(Connection c, Dialect dialect) {
    this.c = c;
    this.dialect = dialect;
  }

  /** See {@link dev.anvil.store.Store#migrate}. */
  public int migrate(Migrations m) throws SQLException {
    lock();
    try {
      createVersionTable();
      Map<Integer, String> applied = applied(m.component());
      check(m, applied);
      int n = 0;
      for (Migration step : m.steps()) {
        if (!applied.containsKey(step.version())) {
          apply(m.component(), step);
          n++;
        }
      }
      return n;
    } finally {
      unlock();
    }
  }

  private void lock() throws SQLException {
    switch (dialect) {
      case POSTGRESQL -> {
        try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_lock(?)")) {
          s.setLong(1, LOCK_KEY);
          s.execute();
        }
        c.commit();
      }
      case H2 -> LOCAL.lock();
    }
  }

  private void unlock() throws SQLException {
    switch (dialect) {
      case POSTGRESQL -> {
        c.rollback(); // a failed step left the transaction aborted: end it first
        try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_unlock(?)")) {
          s.setLong(1, LOCK_KEY);
          s.execute();
        }
        c.commit();
      }
      case H2 -> LOCAL.unlock();
    }
  }

  private void createVersionTable() throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE IF NOT EXISTS anvil_schema_version ("
              + " component VARCHAR(64) NOT NULL,"
              + " version INTEGER NOT NULL,"
              + " description VARCHAR(200) NOT NULL,"
              + " checksum VARCHAR(64) NOT NULL,"
              + " applied_at TIMESTAMP WITH TIME ZONE NOT NULL,"
              + " PRIMARY KEY (component, version))");
    }
    c.commit();
  }

  private Map<Integer, String> applied(String component) throws SQLException {
    Map<Integer, String> out = new TreeMap<>();
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT version, checksum FROM anvil_schema_version WHERE component = ?")) {
      s.setString(1, component);
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.put(r.getInt(1), r.getString(2));
        }
      }
    }
    c.commit();
    return out;
  }

  private static void check(Migrations m, Map<Integer, String> applied) {
    for (Map.Entry<Integer, String> e : applied.entrySet()) {
      int v = e.getKey();
      if (v > m.latest()) {
        throw new StoreException(
            "the store's "
                + m.component()
                + " schema is at version "
                + v
                + ", but this Anvil knows versions up to "
                + m.latest()
                + ": a newer Anvil migrated it; run that version");
      }
      String expected = m.steps().get(v - 1).checksum();
      if (!expected.equals(e.getValue())) {
        throw new StoreException(
            m.component()
                + " migration "
                + v
                + " was changed after it was applied: the store recorded checksum "
                + e.getValue()
                + ", this Anvil's is "
                + expected
                + "; add a new migration instead of editing an applied one");
      }
    }
  }

  private void apply(String component, Migration step) throws SQLException {
    int i = 0;
    try {
      try (Statement s = c.createStatement()) {
        for (String sql : step.statements()) {
          i++;
          s.execute(sql);
        }
      }
      try (PreparedStatement s =
          c.prepareStatement(
              "INSERT INTO anvil_schema_version"
                  + " (component, version, description, checksum, applied_at)"
                  + " VALUES (?, ?, ?, ?, ?)")) {
        s.setString(1, component);
        s.setInt(2, step.version());
        s.setString(3, step.description());
        s.setString(4, step.checksum());
        s.setObject(5, OffsetDateTime.now(ZoneOffset.UTC));
        s.executeUpdate();
      }
      c.commit();
      LOG.info(
          "store: applied {} migration {} ({})", component, step.version(), step.description());
    } catch (SQLException e) {
      c.rollback();
      throw new StoreException(
          component
              + " migration "
              + step.version()
              + " ("
              + step.description()
              + ") failed at statement "
              + i
              + ": "
              + e.getMessage(),
          e);
    }
  }
}
