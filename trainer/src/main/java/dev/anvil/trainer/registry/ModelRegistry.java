package dev.anvil.trainer.registry;

import dev.anvil.modelcard.ModelCard;
import dev.anvil.modelcard.ModelCardException;
import dev.anvil.store.Migration;
import dev.anvil.store.Migrations;
import dev.anvil.store.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The index of the models registered in one folder ({@code models/<id>/}, each with its card), in
 * Anvil's store. Model directories of earlier versions, which had no index, are read in when it
 * opens. Thread-safe.
 */
public final class ModelRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);

  /** The index's table, as versioned steps. */
  public static final Migrations MIGRATIONS =
      Migrations.of(
          "models",
          Migration.resource(
              1, "the model registry's index", ModelRegistry.class, "models-v1.sql"));

  /** The file a model directory holds when the context engine can serve it. */
  public static final String ONNX = "model.onnx";

  private final Store store;
  private final Path dir;

  /**
   * A registered model.
   *
   * @param id its directory's name in the registry
   * @param created when its card was written
   * @param path its directory
   * @param onnx whether it has {@value #ONNX}
   * @param card its card (JSON), as last registered
   */
  public record Entry(String id, Instant created, Path path, boolean onnx, String card) {
    public Entry {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(created, "created");
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(card, "card");
    }
  }

  private ModelRegistry(Store store, Path dir) {
    this.store = store;
    this.dir = dir;
  }

  /**
   * The registry of {@code dir} in {@code store}: its table brought up to date, and the model
   * directories not indexed yet (written by an earlier version) read in.
   */
  public static ModelRegistry open(Store store, Path dir) {
    store.migrate(MIGRATIONS);
    ModelRegistry registry = new ModelRegistry(store, dir.toAbsolutePath().normalize());
    registry.importDirectories();
    return registry;
  }

  /** The folder of the model directories. */
  public Path dir() {
    return dir;
  }

  private void importDirectories() {
    if (!Files.isDirectory(dir)) {
      return;
    }
    Set<String> known = new HashSet<>();
    list().forEach(e -> known.add(e.id()));
    List<Path> found;
    try (Stream<Path> dirs = Files.list(dir)) {
      found =
          dirs.filter(d -> !known.contains(d.getFileName().toString()))
              .filter(d -> Files.isRegularFile(d.resolve(ModelCard.FILE)))
              .sorted()
              .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the models in " + dir, e);
    }
    for (Path d : found) {
      try {
        register(d);
      } catch (RuntimeException e) {
        LOG.warn("model directory {} could not be indexed: {}", d, e.toString());
      }
    }
  }

  /**
   * Indexes the model in {@code modelDir}, a directory of this registry, from its card (again, if
   * it was indexed before: the card may have changed).
   *
   * @throws IllegalArgumentException if the directory is not in this registry's folder
   * @throws ModelCardException if it has no readable card
   */
  public Entry register(Path modelDir) {
    Path d = modelDir.toAbsolutePath().normalize();
    if (!dir.equals(d.getParent())) {
      throw new IllegalArgumentException(d + " is not a model directory of the registry " + dir);
    }
    ModelCard card =
        ModelCard.read(d).orElseThrow(() -> new ModelCardException(d + ": no " + ModelCard.FILE));
    Entry e =
        new Entry(
            d.getFileName().toString(),
            card.created(),
            d,
            Files.isRegularFile(d.resolve(ONNX)),
            card.text());
    store.transaction(
        c -> {
          try (PreparedStatement s = c.prepareStatement("DELETE FROM trainer_model WHERE id = ?")) {
            s.setString(1, e.id());
            s.executeUpdate();
          }
          try (PreparedStatement s =
              c.prepareStatement(
                  "INSERT INTO trainer_model (id, created_s, created_ns, path, onnx, card)"
                      + " VALUES (?, ?, ?, ?, ?, ?)")) {
            s.setString(1, e.id());
            s.setLong(2, e.created().getEpochSecond());
            s.setInt(3, e.created().getNano());
            s.setString(4, e.path().toString());
            s.setBoolean(5, e.onnx());
            s.setString(6, e.card());
            s.executeUpdate();
          }
          return null;
        });
    return e;
  }

  /** Every registered model, oldest first. */
  public List<Entry> list() {
    return store.transaction(c -> query(c, null));
  }

  /**
   * A registered model by id (never a path: an id only names a row, or a directory of this
   * registry's folder). When its card changed on disk since it was indexed (a test report was
   * added), the index is brought up to date first; a directory an operator placed in the folder
   * since the registry opened is indexed when it is first named.
   */
  public Optional<Entry> find(String id) {
    if (id.isEmpty() || id.length() > 200) {
      return Optional.empty(); // no id is empty or longer
    }
    List<Entry> found = store.transaction(c -> query(c, id));
    if (found.isEmpty()) {
      Path placed;
      try {
        placed = dir.resolve(id).normalize();
      } catch (java.nio.file.InvalidPathException e) {
        return Optional.empty();
      }
      // Only a directory right in the folder: an id like ../x names nothing.
      return dir.equals(placed.getParent()) && Files.isRegularFile(placed.resolve(ModelCard.FILE))
          ? Optional.of(register(placed))
          : Optional.empty();
    }
    Entry e = found.getFirst();
    try {
      Optional<ModelCard> now = ModelCard.read(e.path());
      if (now.isPresent() && !now.get().text().equals(e.card())) {
        return Optional.of(register(e.path()));
      }
    } catch (RuntimeException ex) {
      LOG.warn("the card of model {} on disk is unreadable; the indexed one stands: {}", id, ex);
    }
    return Optional.of(e);
  }

  private static List<Entry> query(Connection c, String id) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT id, created_s, created_ns, path, onnx, card FROM trainer_model"
                + (id == null ? "" : " WHERE id = ?")
                + " ORDER BY created_s, created_ns, id")) {
      if (id != null) {
        s.setString(1, id);
      }
      List<Entry> out = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.add(
              new Entry(
                  r.getString(1),
                  Instant.ofEpochSecond(r.getLong(2), r.getInt(3)),
                  Path.of(r.getString(4)),
                  r.getBoolean(5),
                  r.getString(6)));
        }
      }
      return out;
    }
  }
}
